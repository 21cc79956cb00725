/* tt_train_dots.h: internal to the TT_DSP paths of tt_pointwise_update_s8 and
 * tt_stream_backward_f32, each of which includes it once after defining its register block
 * TT_DOTS_NO x TT_DOTS_NJ (output channels x selected channels whose sums run together).
 * Macros rather than arguments of an inlined function: they size the accumulators and
 * bound the loops before any optimization, so GCC emits the code it did for each caller's
 * own copy (arguments changed both callers' register allocation).
 *
 * Every sum adds its pixels in order from 0 and the callers run the QAS steps in the
 * portable order (o, j), so the values and the draws are those of the portable loop of
 * tt_pointwise_update_s8. */
#ifndef TT_TRAIN_DOTS_H
#define TT_TRAIN_DOTS_H
#include "tt_train.h"
#include "tt_simd.h"

#if TT_DSP
#if !defined(TT_DOTS_NO) || !defined(TT_DOTS_NJ)
#error "define TT_DOTS_NO and TT_DOTS_NJ before including tt_train_dots.h"
#endif

/* g[o·gs + j] = Σ_px dy[o·hw + px]·(float)(x[j·hw + px] − zp), px in order, for o < NO rows
 * of dy and j < NJ planes of x (constants, NO <= TT_DOTS_NO, NJ <= TT_DOTS_NJ, up to 8 for
 * the loops to unroll fully): the NO·NJ sums in float registers, so each saved x converted
 * to float serves NO sums and each dy value NJ. */
static inline __attribute__((always_inline)) void tt_dot_block(const float *dy, const int8_t *x, int32_t hw,
                                                               int32_t zp, float *g, int32_t gs, const int NO,
                                                               const int NJ) {
  float acc[TT_DOTS_NO][TT_DOTS_NJ];
  int32_t px;
#pragma GCC unroll 8
  for (int o = 0; o < NO; o++)
#pragma GCC unroll 8
    for (int j = 0; j < NJ; j++) acc[o][j] = 0.0f;
  for (px = 0; px < hw; px++) {
    float xf[TT_DOTS_NJ];
#pragma GCC unroll 8
    for (int j = 0; j < NJ; j++) xf[j] = (float)(x[j * hw + px] - zp);
#pragma GCC unroll 8
    for (int o = 0; o < NO; o++) {
      const float d = dy[o * hw + px];
#pragma GCC unroll 8
      for (int j = 0; j < NJ; j++) acc[o][j] = tt_fmac(acc[o][j], d, xf[j]);
    }
  }
#pragma GCC unroll 8
  for (int o = 0; o < NO; o++)
#pragma GCC unroll 8
    for (int j = 0; j < NJ; j++) g[o * gs + j] = acc[o][j];
}

/* g[o·n_sel + j] for o < n_o, j < n_sel: every (o, j) sum of tt_pointwise_update_s8, in
 * whole blocks, then the leftover planes and rows one at a time. */
static __attribute__((noinline)) void tt_dots(const float *dy, int32_t n_o, const int8_t *x, int32_t n_sel,
                                              int32_t hw, int32_t zp, float *g) {
  int32_t o, j;
  for (o = 0; o + TT_DOTS_NO <= n_o; o += TT_DOTS_NO) {
    for (j = 0; j + TT_DOTS_NJ <= n_sel; j += TT_DOTS_NJ)
      tt_dot_block(dy + o * hw, x + j * hw, hw, zp, g + o * n_sel + j, n_sel, TT_DOTS_NO, TT_DOTS_NJ);
    for (; j < n_sel; j++) tt_dot_block(dy + o * hw, x + j * hw, hw, zp, g + o * n_sel + j, n_sel, TT_DOTS_NO, 1);
  }
  for (; o < n_o; o++) {
    for (j = 0; j + TT_DOTS_NJ <= n_sel; j += TT_DOTS_NJ)
      tt_dot_block(dy + o * hw, x + j * hw, hw, zp, g + o * n_sel + j, n_sel, 1, TT_DOTS_NJ);
    for (; j < n_sel; j++) tt_dot_block(dy + o * hw, x + j * hw, hw, zp, g + o * n_sel + j, n_sel, 1, 1);
  }
}

/* tt_qas_step_s8 for STOCHASTIC rounding (which ignores the master), inlined together with
 * its draw tt_rng_uniform: the same operations on the same values, the state in a local. */
static inline int8_t tt_qas_stochastic(int8_t q, float d, uint32_t *state) {
  uint32_t x = *state;
  float u, f;
  int32_t t, v;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  u = (float)(x >> 8) * 5.9604644775390625e-8f;
  if (d != d) return q;
  d = d > 512.0f ? 512.0f : (d < -512.0f ? -512.0f : d);
  t = (int32_t)d;
  f = (d - (float)t) + u;
  v = q + t + (f >= 1.0f ? 1 : (f < 0.0f ? -1 : 0));
  return (int8_t)(v > 127 ? 127 : (v < -127 ? -127 : v));
}
#endif /* TT_DSP */
#endif /* TT_TRAIN_DOTS_H */
