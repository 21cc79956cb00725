/* tt_requant_s8: y = clamp(out_zp + requant(x − in_zp)), elementwise. Standalone Relu/Clip
 * that also changes quantization parameters. y may alias x. */
#include "tt_kernels.h"
#include "tt_simd.h"

/* Out of line: inlined into the dispatcher, GCC compiles this loop about 12% slower. */
__attribute__((noinline)) static void requant_portable(const tt_requant_params_t *p, const int8_t *x, int8_t *y) {
  const int32_t lo = p->act_min - p->out_zp, hi = p->act_max - p->out_zp;
  uint32_t i;
  for (i = 0; i < p->size; i++) {
    const int32_t v = tt_requantize(x[i] - p->in_zp, p->multiplier, p->shift);
    /* Clamp before adding out_zp: the requantized value may be near INT32_MAX. */
    y[i] = (int8_t)(tt_clamp_i32(v, lo, hi) + p->out_zp);
  }
}

#if TT_DSP
/* Cortex-M4/M7 path: the output depends on one int8 only, so it is a 256-byte table built
 * with the portable expression (~9 K instructions), then one table load per element;
 * worth it from about 150 elements (the portable costs ~60 per element). */
static void requant_table(const tt_requant_params_t *p, const int8_t *x, int8_t *y) {
  const int32_t lo = p->act_min - p->out_zp, hi = p->act_max - p->out_zp;
  const uint32_t n = p->size;
  const uint8_t *const u = (const uint8_t *)x;
  int8_t t[256]; /* indexed by the input's byte */
  uint32_t i;
  for (i = 0; i < 256; i++) {
    const int32_t q = (int8_t)(uint8_t)i;
    t[i] = (int8_t)(tt_clamp_i32(tt_requantize(q - p->in_zp, p->multiplier, p->shift), lo, hi) + p->out_zp);
  }
  /* Four per pass; each output is written after its input is read (y may alias x). */
  for (i = 0; i + 4 <= n; i += 4) {
    const int8_t v0 = t[u[i]], v1 = t[u[i + 1]], v2 = t[u[i + 2]], v3 = t[u[i + 3]];
    y[i] = v0;
    y[i + 1] = v1;
    y[i + 2] = v2;
    y[i + 3] = v3;
  }
  for (; i < n; i++) y[i] = t[u[i]];
}
#endif

void tt_requant_s8(const tt_requant_params_t *p, const int8_t *x, int8_t *y) {
#if TT_DSP
  if (p->size >= 256) {
    requant_table(p, x, y);
    return;
  }
#endif
  requant_portable(p, x, y);
}
