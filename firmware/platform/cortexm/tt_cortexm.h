/* Cortex-M (ARMv7-M) pieces shared by every device platform: system registers, the
 * linker-script symbols (templates/linker.ld.hbs), the SysTick instruction counter, the
 * MPU stack guard, stack painting and fault reporting. Not part of tt_platform.h. */
#ifndef TT_CORTEXM_H
#define TT_CORTEXM_H
#include <stdint.h>

#define TT_REG(addr) (*(volatile uint32_t *)(addr))
#define TT_SCB_ICSR   TT_REG(0xE000ED04u)
#define TT_SCB_VTOR   TT_REG(0xE000ED08u)
#define TT_SCB_CCR    TT_REG(0xE000ED14u)
#define TT_SCB_SHCSR  TT_REG(0xE000ED24u)
#define TT_SCB_CFSR   TT_REG(0xE000ED28u)
#define TT_SCB_HFSR   TT_REG(0xE000ED2Cu)
#define TT_SCB_MMFAR  TT_REG(0xE000ED34u)
#define TT_SCB_BFAR   TT_REG(0xE000ED38u)
#define TT_SCB_CPACR  TT_REG(0xE000ED88u)
#define TT_SYST_CSR   TT_REG(0xE000E010u)
#define TT_SYST_RVR   TT_REG(0xE000E014u)
#define TT_SYST_CVR   TT_REG(0xE000E018u)
#define TT_MPU_TYPE   TT_REG(0xE000ED90u)
#define TT_MPU_CTRL   TT_REG(0xE000ED94u)
#define TT_MPU_RNR    TT_REG(0xE000ED98u)
#define TT_MPU_RBAR   TT_REG(0xE000ED9Cu)
#define TT_MPU_RASR   TT_REG(0xE000EDA0u)

/* Pattern written over the whole stack at reset; the first overwritten word from the
 * low end gives the high-water mark. */
#define TT_STACK_PAINT 0xC5A5C5A5u

/* Linker-script symbols (addresses only; never read their contents as variables). */
extern uint32_t __tt_data_load[], __tt_data_start[], __tt_data_end[];
extern uint32_t __tt_bss_start[], __tt_bss_end[];
extern uint32_t __tt_ram_start[], __tt_ram_end[];
extern uint32_t __tt_stack_guard[], __tt_stack_limit[], __tt_stack_top[];

/* Instructions per SysTick tick: 1e9 / cpu_clock under QEMU -icount shift=0 (40 on
 * mps2), 1 on a real board (where the count is CPU cycles). From the Makefile. */
#ifndef TT_INSTR_PER_TICK
#define TT_INSTR_PER_TICK 1
#endif
/* 1 when the board has a PMSAv7 MPU: a no-access region guards the stack's low end. */
#ifndef TT_HAS_MPU
#define TT_HAS_MPU 0
#endif

/* Enables the MemManage/BusFault/UsageFault handlers and divide-by-zero trapping. */
void tt_cm_faults_init(void);
/* Starts SysTick from the CPU clock at reload 0xFFFFFF, counting wraps in its handler. */
void tt_cm_systick_start(void);
/* SysTick ticks since tt_cm_systick_start (wraps * 2^24 + elapsed in the current wrap). */
uint64_t tt_cm_ticks(void);
/* Marks [__tt_stack_guard, __tt_stack_limit) no-access (no-op without an MPU). */
void tt_cm_mpu_guard(void);
/* Bytes between the stack top and the lowest word that no longer holds the paint. */
uint32_t tt_cm_stack_peak_bytes(void);

#endif
