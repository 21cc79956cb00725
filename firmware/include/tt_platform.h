/* What the generated program needs from the platform. The emulator and host builds
 * provide it (firmware/platform/semihost, firmware/platform/host); on a real board the
 * user implements it (see README, "Sample input on real hardware"). */
#ifndef TT_PLATFORM_H
#define TT_PLATFORM_H
#include <stdint.h>

/* FPU, counters, stack painting. Called first thing in main(). */
void tt_platform_init(void);

/* Sample source. Samples are already quantized to the model's int8 input parameters
 * (TT_INPUT_SCALE / TT_INPUT_ZERO_POINT in model.h).
 * set: 0 = training samples, 1 = evaluation samples. Returns the number of samples. */
uint32_t tt_sample_count(uint32_t set);
/* Reads sample `index` of `set` into input[0..bytes) and its label. 0 on success. */
int tt_read_sample(uint32_t set, uint32_t index, int8_t *input, uint32_t bytes, int32_t *label);

/* Writes one line of text (a '\n' is appended). */
void tt_print_line(const char *s);

/* Instructions executed since tt_platform_init (exact under QEMU -icount shift=0 with
 * SysTick; the host build returns 0). */
uint64_t tt_instructions(void);

/* Bytes of stack used so far (painted-stack high-water mark; 0 on the host). */
uint32_t tt_stack_peak_bytes(void);

/* Ends the program with this exit code (semihosting SYS_EXIT_EXTENDED in the emulator). */
void tt_exit(int code);

/* Added by the platform layer (firmware/platform). The generated main is
 *   int main(int argc, char **argv) { TT_PLATFORM_ARGS(argc, argv); tt_platform_init(); ...
 *                                     tt_exit(code); }
 * The host build (make host defines TT_PLATFORM_HOST) takes the samples path from
 * argv[1]; on the device the macro expands to nothing, startup calls main(0, NULL) and
 * the path comes from the semihosting command line. A missing or malformed samples file
 * makes tt_sample_count / tt_read_sample print
 *   {"event":"error","exit_code":1,"file":"...","message":"..."}
 * and exit with code 1, so main needs no check of its own for that. */
#if defined(TT_PLATFORM_HOST)
void tt_platform_set_args(int argc, char **argv);
#define TT_PLATFORM_ARGS(argc, argv) tt_platform_set_args((argc), (argv))
#else
#define TT_PLATFORM_ARGS(argc, argv) ((void)(argc), (void)(argv))
#endif

/* Puts a large object that needs no zeroing at reset (the arena) in the linker's .noinit
 * section, reported separately from .bss: `TT_NOINIT static int8_t arena[N];`.
 * Empty on the host. */
#if defined(TT_PLATFORM_HOST)
#define TT_NOINIT
#else
#define TT_NOINIT __attribute__((section(".noinit")))
#endif

/* The section of the arena and of its canary (model.c), which must be adjacent: on the
 * device .noinit, on the host one named .bss section of their own. */
#if defined(TT_PLATFORM_HOST)
#define TT_ARENA_SECTION __attribute__((section(".bss.tt_arena")))
#else
#define TT_ARENA_SECTION TT_NOINIT
#endif

/* Test builds only: fault injection called in the middle of every training step
 * (runtime/src/tt_test_hooks.c, docs/FIRMWARE-PROJECT.md "Test hooks"). */
#if defined(TT_TEST_CORRUPT_ARENA) || defined(TT_TEST_FAULT)
void tt_test_hook(void);
#endif

#endif
