/* tt_mask_from_s8: 1-bit activation mask from a saved int8 output, so ReLU/ReLU6/clip
 * backward keeps n/8 bytes instead of the tensor. bits[i/8] bit (i%8), LSB first, is
 * (lo < x[i] < hi): strict, like PyTorch's relu/hardtanh backward (no gradient at the
 * clamp values). Unused high bits of the last byte are written as 0. */
#include "tt_train.h"
#include "tt_simd.h"

/* The portable loop; noinline keeps its code (and speed) as before the optimized path. */
static __attribute__((noinline)) void mask_from_portable(const int8_t *x, uint32_t n, int32_t lo, int32_t hi,
                                                         uint8_t *bits) {
  uint32_t i;
  for (i = 0; i < n; i += 8) {
    const uint32_t m = n - i < 8 ? n - i : 8;
    uint32_t b;
    uint8_t v = 0;
    for (b = 0; b < m; b++)
      if (x[i + b] > lo && x[i + b] < hi) v |= (uint8_t)(1u << b);
    bits[i / 8] = v;
  }
}

#if TT_DSP
/* Four elements per word with the byte-SIMD compare: with a = max(lo + 1, −128) and
 * t = min(hi − 1, 127), lo < x < hi <=> a <= x <= t <=> A <= u <= T for the unsigned bytes
 * u = x + 128 (x ^ 0x80), A = a + 128, T = t + 128. USUB8 sets one GE flag per byte for
 * u >= A, SEL turns them into 0xFF/0x00 bytes, the same again for T >= u; the mask bytes of
 * eight elements are then gathered into the eight bits of one output byte. */
#if defined(TT_DSP_NATIVE)
static inline uint32_t in_range8(uint32_t u, uint32_t lo4, uint32_t hi4) {
  uint32_t t, m;
  __asm__("usub8 %[t], %[u], %[lo]\n\t"
          "sel %[m], %[ones], %[zero]\n\t"
          "usub8 %[t], %[hi], %[u]\n\t"
          "sel %[m], %[m], %[zero]"
          : [t] "=&r"(t), [m] "=&r"(m)
          : [u] "r"(u), [lo] "r"(lo4), [hi] "r"(hi4), [ones] "r"(0xFFFFFFFFu), [zero] "r"(0u)
          : "cc");
  return m;
}
#else
static inline uint32_t in_range8(uint32_t u, uint32_t lo4, uint32_t hi4) {
  uint32_t m = 0;
  int i;
  for (i = 0; i < 32; i += 8) {
    const uint32_t ub = (u >> i) & 0xFFu;
    if (ub >= ((lo4 >> i) & 0xFFu) && ((hi4 >> i) & 0xFFu) >= ub) m |= 0xFFu << i;
  }
  return m;
}
#endif

static void mask_from_dsp(const int8_t *x, uint32_t n, int32_t lo, int32_t hi, uint8_t *bits) {
  const int32_t a = lo < -129 ? -128 : lo + 1, top = hi > 128 ? 127 : hi - 1;
  uint32_t i, lo4, hi4;
  if (a > top) {                               /* nothing passes (also a > 127 or top < −128) */
    for (i = 0; i < (n + 7) / 8; i++) bits[i] = 0;
    return;
  }
  lo4 = (uint32_t)(a + 128) * 0x01010101u;
  hi4 = (uint32_t)(top + 128) * 0x01010101u;
  for (i = 0; i + 8 <= n; i += 8, x += 8) {
    /* element k's mask byte keeps bit k: bits 0, 9, 18, 27 and 4, 13, 22, 31 */
    const uint32_t m0 = in_range8(tt_read_u32(x) ^ 0x80808080u, lo4, hi4) & 0x08040201u;
    const uint32_t m1 = in_range8(tt_read_u32(x + 4) ^ 0x80808080u, lo4, hi4) & 0x80402010u;
    uint32_t m = m0 | m1;
    m |= m >> 16;
    m |= m >> 8;
    bits[i / 8] = (uint8_t)m;
  }
  if (i < n) mask_from_portable(x, n - i, lo, hi, bits + i / 8);
}
#endif

void tt_mask_from_s8(const int8_t *x, uint32_t n, int32_t lo, int32_t hi, uint8_t *bits) {
#if TT_DSP
  mask_from_dsp(x, n, lo, hi, bits);
#else
  mask_from_portable(x, n, lo, hi, bits);
#endif
}
