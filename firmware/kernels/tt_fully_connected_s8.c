/* tt_fully_connected_s8: y[n] = requant(bias[n] + Σ_k (x[k] − in_zp)·W[n,k]), per-output
 * multiplier/shift, clamped. Each weight is used once, so there is nothing to hoist. */
#include "tt_kernels.h"
#include "tt_split.h"

void tt_fully_connected_s8(const tt_fc_params_t *p, const int8_t *x, int8_t *y) {
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
