/* tt_pointwise_update_s8: fused weight gradient + QAS update of a 1x1, stride 1,
 * unpadded, groups 1 convolution (weights [O][I]):
 *   Δ[o,i] = −(lr·s_x/s_w[o]) · Σ_p dy[o,p]·(x_j[p] − z_x),  i = sel[j]
 * summed over pixels p in order; loop and draw order o, j. Identical bits and draws to
 * tt_conv_update_s8 on the same geometry. MASTER: the master copy holds the updated slice
 * only, [out_c][n_sel]: weight (o, sel[j]) uses master[o·n_sel + j] (the same layout as
 * tt_conv_update_s8's with kh = kw = 1). */
#include "tt_train.h"
#include "tt_simd.h"

/* The portable loop; noinline keeps its code (and speed) as before the optimized path. */
static __attribute__((noinline)) void pointwise_update_portable(const tt_conv_update_params_t *p,
                                                                const int8_t *x_saved, const float *dy,
                                                                float lr, tt_rng_t *rng) {
  const int32_t hw = (int32_t)p->in_h * p->in_w, in_c = p->in_c, zp = p->x_zp;
  int32_t o, j, px;
  for (o = 0; o < p->out_c; o++) {
    const float *dyo = dy + o * hw;
    const float ws = p->w_scale[o];
    const float k = ws > 0.0f ? lr * p->x_scale / ws : 0.0f;
    for (j = 0; j < p->n_sel; j++) {
      const int32_t midx = o * p->n_sel + j;
      const int32_t widx = p->weight_is_slice ? midx : o * in_c + (p->sel ? p->sel[j] : j);
      const int8_t *xs = x_saved + j * hw;
      float acc = 0.0f;
      for (px = 0; px < hw; px++) acc += dyo[px] * (float)(xs[px] - zp);
      p->weight[widx] = tt_qas_step_s8(p->weight[widx], -(k * acc), p->rounding,
                                       p->master ? p->master + midx : 0, rng);
    }
  }
}

#if TT_DSP
/* The sums of a block of output channels x selected channels run together in float
 * registers (tt_dots). The sums of a few output channels (all their selected channels)
 * are kept in g, then their QAS steps run in the portable order (o, j): the same values,
 * the same draws. */
#define UP_SUMS 192                /* sums on the stack */
#define TT_DOTS_NO 6               /* output channels x selected channels per register block */
#define TT_DOTS_NJ 4
#include "tt_train_dots.h"

/* The QAS steps of weights (o, sel[j0 + j]), j < m, from their sums g[j]. */
static void steps(const tt_conv_update_params_t *p, int32_t o, int32_t j0, int32_t m, const float *g, float k,
                  tt_rng_t *rng) {
  const int32_t in_c = p->in_c, n_sel = p->n_sel;
  int32_t j;
  if (p->rounding == TT_ROUND_STOCHASTIC) {
    uint32_t st = rng->state;
    for (j = j0; j < j0 + m; j++) {
      const int32_t widx = p->weight_is_slice ? o * n_sel + j : o * in_c + (p->sel ? p->sel[j] : j);
      p->weight[widx] = tt_qas_stochastic(p->weight[widx], -(k * g[j - j0]), &st);
    }
    rng->state = st;
    return;
  }
  for (j = j0; j < j0 + m; j++) {
    const int32_t midx = o * n_sel + j;
    const int32_t widx = p->weight_is_slice ? midx : o * in_c + (p->sel ? p->sel[j] : j);
    p->weight[widx] = tt_qas_step_s8(p->weight[widx], -(k * g[j - j0]), p->rounding,
                                     p->master ? p->master + midx : 0, rng);
  }
}

/* Output channels in batches whose sums fit in g (more than UP_SUMS selected channels:
 * one output channel at a time, its sums in chunks, steps still in j order). */
static void pointwise_update_dsp(const tt_conv_update_params_t *p, const int8_t *x_saved, const float *dy,
                                 float lr, tt_rng_t *rng) {
  const int32_t hw = (int32_t)p->in_h * p->in_w, n_sel = p->n_sel;
  const int32_t nj = n_sel < UP_SUMS ? n_sel : UP_SUMS;     /* selected channels per chunk */
  float g[UP_SUMS];
  int32_t no = UP_SUMS / nj, o0, o, j0;                     /* output channels per batch */
  if (no > TT_DOTS_NO) no = no / TT_DOTS_NO * TT_DOTS_NO;
  for (o0 = 0; o0 < p->out_c; o0 += no) {
    const int32_t n = p->out_c - o0 < no ? p->out_c - o0 : no;
    for (j0 = 0; j0 < n_sel; j0 += nj) {                    /* one chunk unless n == 1 */
      const int32_t m = n_sel - j0 < nj ? n_sel - j0 : nj;
      tt_dots(dy + o0 * hw, n, x_saved + j0 * hw, m, hw, p->x_zp, g);
      for (o = o0; o < o0 + n; o++) {
        const float ws = p->w_scale[o];
        const float k = ws > 0.0f ? lr * p->x_scale / ws : 0.0f;
        steps(p, o, j0, m, g + (o - o0) * m, k, rng);
      }
    }
  }
}
#endif

void tt_pointwise_update_s8(const tt_conv_update_params_t *p, const int8_t *x_saved, const float *dy, float lr,
                            tt_rng_t *rng) {
#if TT_DSP
  if (p->n_sel > 0) {                 /* nothing to update otherwise */
    pointwise_update_dsp(p, x_saved, dy, lr, rng);
    return;
  }
#endif
  pointwise_update_portable(p, x_saved, dy, lr, rng);
}
