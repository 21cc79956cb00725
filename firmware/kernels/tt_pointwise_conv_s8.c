/* tt_pointwise_conv_s8: 1x1 convolution, stride 1, no padding, groups 1, i.e. the matrix
 * product W[O,I]·X[I,HW]. Every window is complete, so the zero point folds into a
 * per-channel constant: acc = bias − in_zp·Σw + Σ x·w. Identical to tt_conv_s8. */
#include "tt_kernels.h"
#include "tt_split.h"

void tt_pointwise_conv_s8(const tt_conv_params_t *p, const int8_t *x, int8_t *y) {
  const int32_t hw = (int32_t)p->in_h * p->in_w, in_c = p->in_c;
  const int32_t lo = p->act_min - p->out_zp, hi = p->act_max - p->out_zp;
  int32_t o;
  int8_t row[p->weight_train ? in_c : 1]; /* a split layer's weight row, assembled */
  for (o = 0; o < p->out_c; o++) {
    const int8_t *w = tt_split_row(p->weight, p->weight_train, p->in_slot, p->n_train, in_c, o, row);
    const int32_t m = p->multiplier[o], s = p->shift[o];
    int32_t base = p->bias ? p->bias[o] : 0, i, px;
    for (i = 0; i < in_c; i++) base -= p->in_zp * w[i];
    for (px = 0; px < hw; px++) {
      const int8_t *xp = x + px;
      int32_t acc = base;
      for (i = 0; i < in_c; i++) acc += xp[i * hw] * w[i];
      /* Clamp before adding out_zp: the requantized value may be near INT32_MAX. */
      y[o * hw + px] = (int8_t)(tt_clamp_i32(tt_requantize(acc, m, s), lo, hi) + p->out_zp);
    }
  }
}
