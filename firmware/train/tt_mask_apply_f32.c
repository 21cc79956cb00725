/* tt_mask_apply_f32: zero the gradient where the activation mask bit (LSB-first, see
 * tt_mask_from_s8) is clear. Other elements are left untouched. */
#include "tt_train.h"
#include "tt_simd.h"

/* The portable loop; noinline keeps its code (and speed) as before the optimized path. */
static __attribute__((noinline)) void mask_apply_portable(float *g, const uint8_t *bits, uint32_t n) {
  uint32_t i;
  for (i = 0; i < n; i++)
    if (!((bits[i >> 3] >> (i & 7)) & 1u)) g[i] = 0.0f;
}

#if TT_DSP
/* 32 elements per mask word: a word of ones is skipped, otherwise each clear bit stores
 * 0 (a test and a conditional store, no loop per element). */
static void mask_apply_dsp(float *g, const uint8_t *bits, uint32_t n) {
  uint32_t i;
  for (i = 0; i + 32 <= n; i += 32, g += 32, bits += 4) {
    /* bit 8b + k of m is bit k of byte b: element 8b + k (one word load on Cortex-M) */
    const uint32_t m = (uint32_t)bits[0] | (uint32_t)bits[1] << 8 | (uint32_t)bits[2] << 16 |
                       (uint32_t)bits[3] << 24;
    int k;
    if (m == 0xFFFFFFFFu) continue;
#pragma GCC unroll 32
    for (k = 0; k < 32; k++)
      if (!(m & (1u << k))) g[k] = 0.0f;
  }
  if (i < n) mask_apply_portable(g, bits, n - i);
}
#endif

void tt_mask_apply_f32(float *g, const uint8_t *bits, uint32_t n) {
#if TT_DSP
  mask_apply_dsp(g, bits, n);
#else
  mask_apply_portable(g, bits, n);
#endif
}
