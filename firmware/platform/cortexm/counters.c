/* Instruction counting with SysTick: clocked from the CPU at reload 0xFFFFFF, one
 * interrupt per 2^24 ticks. Under QEMU -icount shift=0 a tick is a fixed number of
 * instructions (TT_INSTR_PER_TICK), so counts are exact to one tick and repeatable. */
#include <stdint.h>
#include "tt_cortexm.h"

#define TT_SYST_RELOAD 0xFFFFFFu
#define TT_ICSR_PENDSTSET (1u << 26)

static volatile uint32_t tt_cm_systick_wraps;

void SysTick_Handler(void) { tt_cm_systick_wraps++; }

void tt_cm_systick_start(void) {
  TT_SYST_CSR = 0;
  tt_cm_systick_wraps = 0;
  TT_SYST_RVR = TT_SYST_RELOAD;
  TT_SYST_CVR = 0; /* any write clears the counter; it reloads on the next tick */
  TT_SYST_CSR = 7; /* ENABLE | TICKINT | CLKSOURCE=processor clock */
}

uint64_t tt_cm_ticks(void) {
  for (;;) {
    uint32_t w = tt_cm_systick_wraps;
    uint32_t v1 = TT_SYST_CVR;
    uint32_t pending = TT_SCB_ICSR & TT_ICSR_PENDSTSET;
    uint32_t v2 = TT_SYST_CVR;
    /* Retry if the handler ran or the counter reloaded between the reads. */
    if (w != tt_cm_systick_wraps || v2 > v1) continue;
    /* Wrapped but the handler has not run yet (interrupts masked): count it here. */
    if (pending) w++;
    return ((uint64_t)w << 24) + ((0x1000000u - v1) & TT_SYST_RELOAD);
  }
}
