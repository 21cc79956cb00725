/* Host check of tt_io's float formatting against the C library (test/platform.test.ts):
 * prints one JSON object with the number of differences from printf("%.9g") and
 * printf("%.4f"), and of outputs that do not parse back (strtof) to the same float. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tt_io.h"

static uint32_t state = 0x12345678u;
static uint32_t next(void) {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000;
  long i, diff_g = 0, diff_fixed = 0, no_roundtrip = 0, checked = 0;
  char mine[64], ref[64];
  tt_line_t l;
  (void)argv;
  for (i = 0; i < n; i++) {
    union { uint32_t u; float f; } b;
    float fx;
    b.u = next();
    if (i % 4 == 0) b.f = (float)(next() % 100000u) / (float)(1u << (next() % 24u));
    if (((b.u >> 23) & 0xFFu) == 0xFFu) continue; /* NaN/inf print as null */
    checked++;
    tt_line_init(&l, mine, sizeof mine);
    tt_line_f32(&l, b.f);
    snprintf(ref, sizeof ref, "%.9g", (double)b.f);
    if (strcmp(mine, ref) != 0) diff_g++;
    if (strtof(mine, NULL) != b.f) no_roundtrip++;
    fx = (float)(int32_t)(next() % 2000001u - 1000000) / 1000.0f;
    tt_line_init(&l, mine, sizeof mine);
    tt_line_f32_fixed(&l, fx, 4);
    snprintf(ref, sizeof ref, "%.4f", (double)fx);
    if (strcmp(mine, ref) != 0) diff_fixed++;
  }
  printf("{\"checked\":%ld,\"diff_g\":%ld,\"diff_fixed\":%ld,\"no_roundtrip\":%ld}\n", checked, diff_g,
         diff_fixed, no_roundtrip);
  return 0;
}
