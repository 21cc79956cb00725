/* tt_fc_update_s8: fused weight gradient + QAS update of a fully connected layer
 * (weights [N][K]). sel lists input features; x_saved[j] is feature sel[j]:
 *   Δ[n,k] = −(lr·s_x/s_w[n]) · dy[n]·(x_j − z_x),  k = sel[j]
 * loop and draw order n, j. Identical bits to tt_conv_update_s8 on a 1x1 map. MASTER: the
 * master copy holds the updated slice only, [out_features][n_sel]: weight (n, sel[j]) uses
 * master[n·n_sel + j]. */
#include "tt_train.h"

void tt_fc_update_s8(const tt_fc_update_params_t *p, const int8_t *x_saved, const float *dy,
                     float lr, tt_rng_t *rng) {
  const int32_t in = p->in_features, zp = p->x_zp;
  int32_t n, j;
  for (n = 0; n < p->out_features; n++) {
    const float ws = p->w_scale[n];
    const float k = ws > 0.0f ? lr * p->x_scale / ws : 0.0f;
    const float g = dy[n];
    for (j = 0; j < p->n_sel; j++) {
      const int32_t midx = n * p->n_sel + j;
      const int32_t widx = p->weight_is_slice ? midx : n * in + (p->sel ? p->sel[j] : j);
      const float acc = g * (float)(x_saved[j] - zp);
      p->weight[widx] = tt_qas_step_s8(p->weight[widx], -(k * acc), p->rounding,
                                       p->master ? p->master + midx : 0, rng);
    }
  }
}
