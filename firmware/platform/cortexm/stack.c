/* The stack: MPU guard and painted high-water mark.
 * Guard: with a PMSAv7 MPU, the 1 KB (or larger, power of two) region just below
 * the stack is made no-access, so an overflow becomes a MemManage fault instead of the
 * silent corruption the mps2 memory map allows. PRIVDEFENA keeps the default map
 * everywhere else. */
#include <stdint.h>
#include "tt_cortexm.h"

void tt_cm_mpu_guard(void) {
#if TT_HAS_MPU
  uint32_t base = (uint32_t)(uintptr_t)__tt_stack_guard;
  uint32_t bytes = (uint32_t)((uintptr_t)__tt_stack_limit - (uintptr_t)__tt_stack_guard);
  uint32_t size_field = 0;
  if ((TT_MPU_TYPE >> 8 & 0xFFu) == 0u || bytes < 32u) return; /* no MPU regions */
  while ((2u << size_field) < bytes) size_field++; /* region = 2^(SIZE+1) bytes */
  TT_MPU_CTRL = 0;
  TT_MPU_RNR = 0;
  TT_MPU_RBAR = base; /* the linker script aligns the guard to its size */
  TT_MPU_RASR = (1u << 28)              /* XN */
                | (0u << 24)            /* AP = no access */
                | (size_field << 1) | 1u; /* SIZE, ENABLE */
  TT_MPU_CTRL = (1u << 2) | 1u;         /* PRIVDEFENA | ENABLE */
  __asm volatile("dsb\nisb" ::: "memory");
#endif
}

uint32_t tt_cm_stack_peak_bytes(void) {
  const uint32_t *p = __tt_stack_limit;
  while (p < __tt_stack_top && *p == TT_STACK_PAINT) p++;
  return (uint32_t)((uintptr_t)__tt_stack_top - (uintptr_t)p);
}
