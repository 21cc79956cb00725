/* Reset and vector table for ARMv7-M (Cortex-M4/M7). Reset_Handler enables the FPU
 * before anything can execute a float instruction, paints the stack, copies .data,
 * zeroes .bss and calls main(0, NULL); main's return value goes to tt_exit. */
#include <stdint.h>
#include "tt_cortexm.h"
#include "tt_platform.h"

int main(int argc, char **argv);
void Reset_Handler(void);
void tt_cm_fault_entry(void);
void SysTick_Handler(void);
void tt_cm_reset_c(void);

/* 16 system exceptions + 32 IRQs; any IRQ that fires unexpectedly is reported as a fault. */
#define TT_VECTOR_COUNT 48u

typedef void (*tt_vector_t)(void);

__attribute__((section(".isr_vector"), used))
const tt_vector_t tt_vector_table[TT_VECTOR_COUNT] = {
  (tt_vector_t)(uintptr_t)__tt_stack_top, /* 0: initial MSP */
  Reset_Handler,                          /* 1 */
  tt_cm_fault_entry,                      /* 2: NMI */
  tt_cm_fault_entry,                      /* 3: HardFault */
  tt_cm_fault_entry,                      /* 4: MemManage */
  tt_cm_fault_entry,                      /* 5: BusFault */
  tt_cm_fault_entry,                      /* 6: UsageFault */
  0, 0, 0, 0,                             /* 7-10: reserved */
  tt_cm_fault_entry,                      /* 11: SVCall (unused) */
  tt_cm_fault_entry,                      /* 12: DebugMonitor */
  0,                                      /* 13: reserved */
  tt_cm_fault_entry,                      /* 14: PendSV (unused) */
  SysTick_Handler,                        /* 15 */
  [16 ... TT_VECTOR_COUNT - 1] = tt_cm_fault_entry,
};

/* Naked: runs before .data/.bss exist and before the FPU is on, so no C and no stack
 * use until the FPU is enabled and the stack is painted. */
__attribute__((naked, noreturn)) void Reset_Handler(void) {
  __asm volatile(
    "ldr r0, =__tt_stack_top\n"
    "msr msp, r0\n"               /* a debugger may enter here with any SP */
#if defined(__ARM_FP)
    "ldr r0, =0xE000ED88\n"       /* CPACR: full access to CP10/CP11 */
    "ldr r1, [r0]\n"
    "orr r1, r1, #0x00F00000\n"
    "str r1, [r0]\n"
    "dsb\n"
    "isb\n"
#endif
    "ldr r0, =__tt_stack_limit\n" /* paint the whole stack: nothing is on it yet */
    "ldr r1, =__tt_stack_top\n"
    "ldr r2, =0xC5A5C5A5\n"
    "1:\n"
    "cmp r0, r1\n"
    "bhs 2f\n"
    "str r2, [r0], #4\n"
    "b 1b\n"
    "2:\n"
    "b tt_cm_reset_c\n"
    ".ltorg\n");
}

/* Word loops (not memcpy/memset) so nothing depends on the C library before main. */
__attribute__((noreturn, used)) void tt_cm_reset_c(void) {
  uint32_t *src = __tt_data_load;
  uint32_t *dst = __tt_data_start;
  while (dst < __tt_data_end) *dst++ = *src++;
  for (dst = __tt_bss_start; dst < __tt_bss_end; dst++) *dst = 0;
  TT_SCB_VTOR = (uint32_t)(uintptr_t)tt_vector_table;
  tt_exit(main(0, 0));
  for (;;) {
  }
}
