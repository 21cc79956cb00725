/* Fault injection for tests (test/canary.test.ts; docs/FIRMWARE-PROJECT.md, "Test hooks").
 * Compiled to nothing unless the build defines one of these (EXTRA_CFLAGS):
 *   -DTT_TEST_CORRUPT_ARENA[=N]  training step N (1-based, default 1) writes one byte past
 *                                the arena's end: the arena canary must catch it (exit 2)
 *   -DTT_TEST_FAULT=K            training step TT_TEST_FAULT_STEP (default 1) faults, device
 *                                builds only (exit 3):
 *                                1 HardFault (a UsageFault with its handler disabled escalates)
 *                                2 MemManage: stack overflow into the MPU guard (recursion)
 *                                3 BusFault: store to an unmapped address (0xF0000000)
 *                                4 UsageFault: integer divide by zero
 * The generated tt_model_train_step() calls tt_test_hook() after its first kernel, i.e. in
 * the middle of every training step. */
#include <stdint.h>
#include "tt_platform.h"

#if defined(TT_TEST_CORRUPT_ARENA) || defined(TT_TEST_FAULT)
#include "model.h"

#if defined(TT_TEST_FAULT) && !defined(__arm__)
#error "TT_TEST_FAULT injects Cortex-M faults: device builds only"
#endif
#if defined(TT_TEST_FAULT)
#include "tt_cortexm.h"
#ifndef TT_TEST_FAULT_STEP
#define TT_TEST_FAULT_STEP 1
#endif
#endif

static uint32_t tt_test_steps;
volatile uint32_t tt_test_sink;

#if defined(TT_TEST_FAULT)
static volatile uint32_t tt_test_depth_limit; /* 0: recurse until the stack overflows */

/* Not a tail call, and a frame the compiler cannot drop: recurses until the stack runs into
 * the MPU guard. */
static uint32_t tt_test_recurse(uint32_t depth) {
  volatile uint8_t frame[128];
  frame[depth & 127u] = (uint8_t)depth;
  tt_test_sink = depth;
  if (tt_test_depth_limit != 0u && depth >= tt_test_depth_limit) return depth;
  return tt_test_recurse(depth + 1u) + frame[(depth * 7u) & 127u];
}

static void tt_test_fault(uint32_t kind) {
  volatile int32_t one = 1, zero = 0;
  switch (kind) {
    case 1:
      TT_SCB_SHCSR &= ~(1u << 18); /* USGFAULTENA off: the UsageFault escalates */
      __asm volatile("dsb\nisb\nudf #0" ::: "memory");
      break;
    case 2:
      tt_test_sink = tt_test_recurse(0u);
      break;
    case 3:
      *(volatile uint32_t *)0xF0000000u = 1u;
      __asm volatile("dsb" ::: "memory");
      break;
    case 4:
      tt_test_sink = (uint32_t)(one / zero); /* sdiv traps: DIV_0_TRP is on */
      break;
    default:
      break;
  }
}
#endif

void tt_test_hook(void) {
  tt_test_steps++;
#if defined(TT_TEST_CORRUPT_ARENA)
  if (tt_test_steps == (uint32_t)(TT_TEST_CORRUPT_ARENA)) {
    /* Through a volatile pointer: the compiler must neither see nor drop the stray store. */
    int8_t *volatile arena = tt_arena;
    arena[TT_ARENA_BYTES] = (int8_t)~arena[TT_ARENA_BYTES];
  }
#endif
#if defined(TT_TEST_FAULT)
  if (tt_test_steps == (uint32_t)(TT_TEST_FAULT_STEP)) tt_test_fault((uint32_t)(TT_TEST_FAULT));
#endif
}
#else
typedef int tt_test_hooks_unused; /* ISO C wants something in a translation unit */
#endif
