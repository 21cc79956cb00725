/* Test firmware for the platform layer (test/platform.test.ts). Built through the
 * generated Makefile and linker script for each board and for the host.
 *
 * It reads every record of samples.bin, prints per-set sums and a CRC-32, prints some
 * float formatting, counts the instructions of a fixed 2-instruction loop, and exits
 * with the label of the last evaluation record (mod 256): the test picks exit codes
 * through the data, without rebuilding. A negative label in training record 0 selects
 * a mode instead:
 *   -1 stack overflow into the MPU guard   -2 undefined instruction
 *   -3 store to a faulting address         -4 long loop that crosses SysTick wraps
 * Building with -DTEST_BIG_FLASH or -DTEST_BIG_SRAM adds an object larger than the
 * board's flash or SRAM (the link must fail). */
#include <stdint.h>
#include "tt_io.h"
#include "tt_platform.h"

#define MAX_INPUT 4096u
#define SHORT_LOOP 1000000u
#define LONG_LOOP 360000000u /* 720 M instructions: more than one 2^24 x 40 SysTick wrap */

#if defined(TEST_BIG_FLASH)
const int8_t big_flash[TEST_BIG_FLASH] = {1};
#endif
#if defined(TEST_BIG_SRAM)
TT_NOINIT volatile int8_t big_sram[TEST_BIG_SRAM];
#endif

static int8_t input[MAX_INPUT];
static char line[256];

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, uint32_t n) {
  uint32_t i, k;
  crc = ~crc;
  for (i = 0; i < n; i++) {
    crc ^= p[i];
    for (k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

/* Exactly 2 instructions per iteration on the device (subs + bne). */
static void fixed_loop(uint32_t n) {
#if defined(__arm__)
  __asm volatile("1:\n subs %0, %0, #1\n bne 1b\n" : "+r"(n) : : "cc");
#else
  volatile uint32_t v = n;
  while (v) v--;
#endif
}

static volatile uint32_t depth_sink;
#if defined(__arm__)
static volatile uint32_t depth_limit; /* 0: recurse until the stack overflows */
static uint32_t recurse(uint32_t depth) {
  volatile uint8_t frame[128];
  frame[depth & 127u] = (uint8_t)depth;
  depth_sink = depth;
  if (depth_limit != 0u && depth >= depth_limit) return depth;
  return recurse(depth + 1u) + frame[(depth * 7u) & 127u]; /* not a tail call */
}
#endif

static void fault(int32_t mode) {
#if defined(__arm__)
  if (mode == -1) depth_sink = recurse(0);
  if (mode == -2) __asm volatile("udf #0");
  if (mode == -3) *(volatile uint32_t *)0xF0000000u = 1u; /* system space: bus error */
#else
  (void)mode;
#endif
}

static void print_loop(uint32_t iterations) {
  uint64_t t0, t1;
  tt_line_t l;
  t0 = tt_instructions();
  fixed_loop(iterations);
  t1 = tt_instructions();
  tt_line_init(&l, line, sizeof line);
  tt_line_str(&l, "{\"event\":\"loop\",\"iterations\":");
  tt_line_u32(&l, iterations);
  tt_line_str(&l, ",\"instructions\":");
  tt_line_u64(&l, t1 - t0);
  tt_line_char(&l, '}');
  tt_print_line(tt_line_cstr(&l));
}

int main(int argc, char **argv) {
  uint32_t set, i, crc = 0, input_bytes = 0;
  int32_t label = 0, first_label = 0, last_eval_label = 0;
  volatile float f = 1.0f;
  tt_line_t l;
  TT_PLATFORM_ARGS(argc, argv);
  tt_platform_init();

  tt_line_init(&l, line, sizeof line);
  tt_line_str(&l, "{\"event\":\"start\",\"test\":\"platform\",\"board\":");
  tt_line_json_str(&l, TT_BOARD);
  tt_line_char(&l, '}');
  tt_print_line(tt_line_cstr(&l));

  for (set = 0; set < 2u; set++) {
    uint32_t n = tt_sample_count(set);
    int64_t sum = 0, label_sum = 0;
    for (i = 0; i < n; i++) {
      uint32_t b;
      /* The input size is not in the platform API: probe the sizes up to MAX_INPUT. */
      if (input_bytes == 0) {
        for (b = 1; b <= MAX_INPUT && input_bytes == 0; b++)
          if (tt_read_sample(set, i, input, b, &label) == 0) input_bytes = b;
        if (input_bytes == 0) tt_exit(1);
      }
      if (tt_read_sample(set, i, input, input_bytes, &label) != 0) tt_exit(1);
      if (set == 0u && i == 0u) first_label = label;
      if (set == 1u) last_eval_label = label;
      for (b = 0; b < input_bytes; b++) sum += input[b];
      label_sum += label;
      crc = crc32_update(crc, (const uint8_t *)input, input_bytes);
      crc = crc32_update(crc, (const uint8_t *)&label, 4u);
    }
    tt_line_init(&l, line, sizeof line);
    tt_line_str(&l, "{\"event\":\"samples\",\"set\":");
    tt_line_u32(&l, set);
    tt_line_str(&l, ",\"count\":");
    tt_line_u32(&l, n);
    tt_line_str(&l, ",\"input_bytes\":");
    tt_line_u32(&l, input_bytes);
    tt_line_str(&l, ",\"sum\":");
    tt_line_i32(&l, (int32_t)sum);
    tt_line_str(&l, ",\"label_sum\":");
    tt_line_i32(&l, (int32_t)label_sum);
    tt_line_str(&l, ",\"crc32\":\"");
    tt_line_hex32(&l, crc);
    tt_line_str(&l, "\"}");
    tt_print_line(tt_line_cstr(&l));
  }

  /* Float formatting and FPU use: the same digits on the host and the device. */
  for (i = 0; i < 100u; i++) f = f * 1.0625f - 0.03125f / (f + 1.0f);
  tt_line_init(&l, line, sizeof line);
  tt_line_str(&l, "{\"event\":\"floats\",\"f\":");
  tt_line_f32(&l, f);
  tt_line_str(&l, ",\"third\":");
  tt_line_f32(&l, 1.0f / 3.0f);
  tt_line_str(&l, ",\"tiny\":");
  tt_line_f32(&l, 1.5e-7f);
  tt_line_str(&l, ",\"acc\":");
  tt_line_f32_fixed(&l, 0.91234f, 4);
  tt_line_str(&l, ",\"esc\":");
  tt_line_json_str(&l, "q\"b\\\n");
  tt_line_char(&l, '}');
  tt_print_line(tt_line_cstr(&l));

  if (first_label < 0) fault(first_label);
#if defined(TEST_BIG_FLASH)
  depth_sink = (uint32_t)big_flash[depth_sink]; /* keep it past --gc-sections */
#endif
#if defined(TEST_BIG_SRAM)
  big_sram[depth_sink] = 1;
#endif
  print_loop(first_label == -4 ? LONG_LOOP : SHORT_LOOP);

  tt_line_init(&l, line, sizeof line);
  tt_line_str(&l, "{\"event\":\"done\",\"exit_code\":");
  tt_line_i32(&l, last_eval_label & 255);
  tt_line_str(&l, ",\"stack_peak_bytes\":");
  tt_line_u32(&l, tt_stack_peak_bytes());
  tt_line_char(&l, '}');
  tt_print_line(tt_line_cstr(&l));
  tt_exit(last_eval_label & 255);
  return 0;
}
