/* tt_fully_connected_s8: y[n] = requant(bias[n] + Σ_k (x[k] − in_zp)·W[n,k]), per-output
 * multiplier/shift, clamped. Each weight is used once, so there is nothing to hoist. */
#include "tt_kernels.h"
#include "tt_simd.h"
#include "tt_split.h"

/* Out of line: inlined into the dispatcher, GCC compiles this loop about 12% slower. */
__attribute__((noinline)) static void fully_connected_portable(const tt_fc_params_t *p, const int8_t *x, int8_t *y) {
  const int32_t in = p->in_features;
  const int32_t lo = p->act_min - p->out_zp, hi = p->act_max - p->out_zp;
  int32_t n;
  int8_t row[p->weight_train ? in : 1]; /* a split layer's weight row, assembled */
  for (n = 0; n < p->out_features; n++) {
    const int8_t *w = tt_split_row(p->weight, p->weight_train, p->in_slot, p->n_train, in, n, row);
    int32_t acc = p->bias ? p->bias[n] : 0, k;
    for (k = 0; k < in; k++) acc += (x[k] - p->in_zp) * w[k];
    /* Clamp before adding out_zp: the requantized value may be near INT32_MAX. */
    y[n] = (int8_t)(tt_clamp_i32(tt_requantize(acc, p->multiplier[n], p->shift[n]), lo, hi) +
                    p->out_zp);
  }
}

#if TT_DSP
/* Cortex-M4/M7 path: 4 features at a time, two output rows per pass. The input's 4 bytes
 * give lanes (x[k] − zp, x[k+2] − zp) and (x[k+1] − zp, x[k+3] − zp) with SXTAB16 on the
 * zero-point lanes; the weights' (w[k], w[k+2]) and (w[k+1], w[k+3]) with SXTB16; two
 * SMLAD per row: 13 instructions per 8 MACs. The sum equals the portable one exactly
 * (integers; SMLAD wraps like the portable int32 sum). One tt_requantize per output: it
 * costs little next to in_features MACs. */
/* Rows w0 and w1 (w1 may be w0) dotted with x − zp, added to *a0 and *a1. */
static void fc_dot2(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t in, int32_t zp, int32_t *a0,
                    int32_t *a1) {
  const uint32_t zz = ((uint32_t)-zp & 0xFFFFu) * 0x10001u; /* lanes (−zp, −zp) */
  int32_t s0 = *a0, s1 = *a1, k;
  for (k = 0; k + 4 <= in; k += 4) {
    const uint32_t xv = tt_read_u32(x + k), xa = tt_sxtab16(zz, xv), xb = tt_sxtab16_ror8(zz, xv);
    const uint32_t v0 = tt_read_u32(w0 + k), v1 = tt_read_u32(w1 + k);
    s0 = tt_smlad(tt_sxtb16(v0), xa, s0);
    s0 = tt_smlad(tt_sxtb16_ror8(v0), xb, s0);
    s1 = tt_smlad(tt_sxtb16(v1), xa, s1);
    s1 = tt_smlad(tt_sxtb16_ror8(v1), xb, s1);
  }
  for (; k < in; k++) {
    const int32_t xv = x[k] - zp;
    s0 = (int32_t)((uint32_t)s0 + (uint32_t)(xv * w0[k]));
    s1 = (int32_t)((uint32_t)s1 + (uint32_t)(xv * w1[k]));
  }
  *a0 = s0;
  *a1 = s1;
}

static void fully_connected_dsp(const tt_fc_params_t *p, const int8_t *x, int8_t *y) {
  const int32_t in = p->in_features, out = p->out_features, zp = p->in_zp;
  const int32_t lo = p->act_min - p->out_zp, hi = p->act_max - p->out_zp;
  /* A split layer assembles one row at a time (and computes it twice: rare, small). */
  const int32_t step = p->weight_train ? 1 : 2;
  int32_t n;
  int8_t row[p->weight_train ? in : 1];
  for (n = 0; n < out; n += step) {
    const int32_t n1 = n + step - 1 < out ? n + step - 1 : n; /* an odd last row pairs with itself */
    const int8_t *w0 = tt_split_row(p->weight, p->weight_train, p->in_slot, p->n_train, in, n, row);
    const int8_t *w1 = p->weight_train ? w0 : p->weight + n1 * in;
    int32_t acc[2], j;
    acc[0] = p->bias ? p->bias[n] : 0;
    acc[1] = p->bias ? p->bias[n1] : 0;
    fc_dot2(x, w0, w1, in, zp, &acc[0], &acc[1]);
    for (j = 0; j <= n1 - n; j++) {
      y[n + j] = (int8_t)(tt_clamp_i32(tt_requantize(acc[j], p->multiplier[n + j], p->shift[n + j]), lo, hi) +
                          p->out_zp);
    }
  }
}
#endif /* TT_DSP */

void tt_fully_connected_s8(const tt_fc_params_t *p, const int8_t *x, int8_t *y) {
#if TT_DSP
  /* x − in_zp must fit an int16 lane (it does for any int8 zero point). */
  if (p->in_zp >= -32000 && p->in_zp <= 32000) {
    fully_connected_dsp(p, x, y);
    return;
  }
#endif
  fully_connected_portable(p, x, y);
}
