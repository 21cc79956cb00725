/* Fault reporting: every fault vector lands in tt_cm_fault_entry, which turns the MPU
 * off (so a stack that overflowed into the guard can be read), moves SP to a private
 * fault stack (the faulting one may be exhausted, and faulting again would lock the
 * core up) and calls tt_cm_fault_report. That prints the contract's fault line
 *   {"event":"fault","kind":"MemManage","exit_code":3,"reason":"stack overflow into the MPU guard",
 *    "cfsr":"0x...","hfsr":"0x...","pc":"0x...","lr":"0x...","mmfar":"0x...","bfar":"0x..."}
 * and exits with code 3. kind is the exception taken (HardFault, MemManage, BusFault,
 * UsageFault, NMI, ..., UnexpectedIRQ with "irq"); reason decodes CFSR/HFSR in words (a
 * HardFault that a configurable fault escalated to says "escalated: ..."). pc/lr are the
 * stacked values of the faulting context, or 0 when the exception frame could not be
 * stacked or lies outside SRAM. */
#include <stdint.h>
#include "tt_cortexm.h"
#include "tt_io.h"
#include "tt_platform.h"

#define TT_CFSR_MSTKERR (1u << 4)
#define TT_CFSR_STKERR (1u << 12)
#define TT_CFSR_MMARVALID (1u << 7)

/* 8-byte aligned, as the AAPCS wants SP at calls. */
__attribute__((used)) uint64_t tt_cm_fault_stack[96];

void tt_cm_fault_report(const uint32_t *frame, uint32_t exc_return);

__attribute__((naked, noreturn)) void tt_cm_fault_entry(void) {
  __asm volatile(
#if TT_HAS_MPU
    "ldr r2, =0xE000ED94\n" /* MPU_CTRL = 0 */
    "movs r3, #0\n"
    "str r3, [r2]\n"
    "dsb\n"
    "isb\n"
#endif
    "tst lr, #4\n"          /* EXC_RETURN bit 2: which stack holds the frame */
    "ite eq\n"
    "mrseq r0, msp\n"
    "mrsne r0, psp\n"
    "mov r1, lr\n"
    "ldr r2, =tt_cm_fault_stack + 768\n"
    "mov sp, r2\n"
    "b tt_cm_fault_report\n"
    ".ltorg\n");
}

static const char *tt_cm_exception_name(uint32_t n) {
  switch (n) {
    case 2: return "NMI";
    case 3: return "HardFault";
    case 4: return "MemManage";
    case 5: return "BusFault";
    case 6: return "UsageFault";
    case 11: return "SVCall";
    case 12: return "DebugMonitor";
    case 14: return "PendSV";
    default: return "UnexpectedIRQ";
  }
}

/* Bits of CFSR (MMFSR | BFSR << 8 | UFSR << 16) and HFSR, first match wins. */
static const struct { uint32_t bit; const char *what; } tt_cm_cfsr_reasons[] = {
  {1u << 0, "instruction fetch from a no-access or execute-never region"},
  {1u << 1, "data access to a no-access region"},
  {1u << 3, "MPU violation while unstacking"},
  {1u << 5, "MPU violation while saving the FPU state"},
  {1u << 8, "bus error on instruction fetch"},
  {1u << 9, "precise bus error (BFAR holds the address)"},
  {1u << 10, "imprecise bus error (BFAR unknown)"},
  {1u << 11, "bus error while unstacking"},
  {1u << 12, "bus error while stacking (stack out of memory?)"},
  {1u << 13, "bus error while saving the FPU state"},
  {1u << 16, "undefined instruction"},
  {1u << 17, "invalid state (branch to an address without the Thumb bit?)"},
  {1u << 18, "invalid exception return"},
  {1u << 19, "coprocessor or FPU access while it is disabled"},
  {1u << 24, "unaligned access"},
  {1u << 25, "integer divide by zero"},
};

static const char *tt_cm_fault_reason(uint32_t exc, uint32_t cfsr, uint32_t hfsr, int overflow) {
  if (exc < 3u || exc > 6u) return "unexpected exception or interrupt (no handler)";
  if (overflow) return "stack overflow into the MPU guard";
  if (cfsr & (1u << 4)) return "MPU violation while stacking";
  for (uint32_t i = 0; i < sizeof tt_cm_cfsr_reasons / sizeof tt_cm_cfsr_reasons[0]; i++) {
    if (cfsr & tt_cm_cfsr_reasons[i].bit) return tt_cm_cfsr_reasons[i].what;
  }
  if (hfsr & (1u << 1)) return "vector table read failed";
  if (hfsr & (1u << 31)) return "debug event without a debugger (bkpt?)";
  return "unknown";
}

static void tt_cm_hex_field(tt_line_t *l, const char *key, uint32_t v) {
  tt_line_str(l, ",\"");
  tt_line_str(l, key);
  tt_line_str(l, "\":\"0x");
  tt_line_hex32(l, v);
  tt_line_char(l, '"');
}

static int tt_cm_in_guard(uintptr_t a) {
  return a >= (uintptr_t)__tt_stack_guard && a < (uintptr_t)__tt_stack_limit;
}

__attribute__((noreturn, used)) void tt_cm_fault_report(const uint32_t *frame, uint32_t exc_return) {
  char buf[384]; /* on the private fault stack (768 bytes): no SRAM of its own */
  tt_line_t l;
  uint32_t ipsr, cfsr = TT_SCB_CFSR, hfsr = TT_SCB_HFSR;
  uint32_t mmfar = TT_SCB_MMFAR, bfar = TT_SCB_BFAR, pc = 0, lr = 0;
  uintptr_t f = (uintptr_t)frame;
  __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
  (void)exc_return;
  /* Read the frame only if it was stacked and lies in SRAM: a bad read here would be a
   * fault inside the fault handler, i.e. a lockup. */
  if (!(cfsr & (TT_CFSR_MSTKERR | TT_CFSR_STKERR)) && (f & 3u) == 0 &&
      f >= (uintptr_t)__tt_ram_start && f + 32u <= (uintptr_t)__tt_ram_end) {
    lr = frame[5];
    pc = frame[6];
  }
  /* A stack overflow: the exception frame went (or failed to go) into the guard, or a
   * data access faulted there (MMFAR valid). Without an MPU guard the range is empty; the
   * arena canary may then notice an overflow instead. */
  int overflow = tt_cm_in_guard(f) || ((cfsr & TT_CFSR_MMARVALID) && tt_cm_in_guard(mmfar));
  tt_line_init(&l, buf, sizeof buf);
  tt_line_str(&l, "{\"event\":\"fault\",\"kind\":");
  tt_line_json_str(&l, tt_cm_exception_name(ipsr & 0x1FFu));
  if ((ipsr & 0x1FFu) >= 16u) {
    tt_line_str(&l, ",\"irq\":");
    tt_line_u32(&l, (ipsr & 0x1FFu) - 16u);
  }
  tt_line_str(&l, ",\"exit_code\":3,\"reason\":\"");
  if ((ipsr & 0x1FFu) == 3u && (hfsr & (1u << 30))) tt_line_str(&l, "escalated: ");
  tt_line_str(&l, tt_cm_fault_reason(ipsr & 0x1FFu, cfsr, hfsr, overflow));
  tt_line_char(&l, '"');
  tt_cm_hex_field(&l, "cfsr", cfsr);
  tt_cm_hex_field(&l, "hfsr", hfsr);
  tt_cm_hex_field(&l, "pc", pc);
  tt_cm_hex_field(&l, "lr", lr);
  tt_cm_hex_field(&l, "mmfar", mmfar);
  tt_cm_hex_field(&l, "bfar", bfar);
  tt_line_char(&l, '}');
  tt_print_line(tt_line_cstr(&l));
  tt_exit(3);
  for (;;) {
  }
}

void tt_cm_faults_init(void) {
  /* Separate handlers give the fault line a precise kind instead of HardFault. */
  TT_SCB_SHCSR |= (1u << 16) | (1u << 17) | (1u << 18); /* MEMFAULTENA BUSFAULTENA USGFAULTENA */
  TT_SCB_CCR |= (1u << 4);                              /* DIV_0_TRP: as the host traps */
  __asm volatile("dsb\nisb" ::: "memory");
}
