/* ARM semihosting calls (bkpt 0xAB) used by the emulator platform. QEMU needs
 * -semihosting-config enable=on: without it the bkpt locks the core up. */
#ifndef TT_SEMIHOST_H
#define TT_SEMIHOST_H
#include <stdint.h>

#define TT_SYS_OPEN 0x01u
#define TT_SYS_CLOSE 0x02u
#define TT_SYS_WRITE0 0x04u
#define TT_SYS_READ 0x06u
#define TT_SYS_SEEK 0x0Au
#define TT_SYS_FLEN 0x0Cu
#define TT_SYS_GET_CMDLINE 0x15u
#define TT_SYS_EXIT_EXTENDED 0x20u
#define TT_ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define TT_SH_MODE_RB 1u /* SYS_OPEN mode index of "rb" */

static inline int32_t tt_semihost(uint32_t op, const void *arg) {
  register uint32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return (int32_t)r0;
}

#endif
