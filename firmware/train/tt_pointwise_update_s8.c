/* tt_pointwise_update_s8: fused weight gradient + QAS update of a 1x1, stride 1,
 * unpadded, groups 1 convolution (weights [O][I]):
 *   Δ[o,i] = −(lr·s_x/s_w[o]) · Σ_p dy[o,p]·(x_j[p] − z_x),  i = sel[j]
 * summed over pixels p in order; loop and draw order o, j. Identical bits and draws to
 * tt_conv_update_s8 on the same geometry. MASTER: the master copy holds the updated slice
 * only, [out_c][n_sel]: weight (o, sel[j]) uses master[o·n_sel + j] (the same layout as
 * tt_conv_update_s8's with kh = kw = 1). */
#include "tt_train.h"

void tt_pointwise_update_s8(const tt_conv_update_params_t *p, const int8_t *x_saved,
                            const float *dy, float lr, tt_rng_t *rng) {
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
