/* tt_global_avgpool_s8: per channel, acc = Σ (x − in_zp) over the whole in_h·in_w plane,
 * out = clamp(out_zp + requant(acc, multiplier, shift)); multiplier/shift encode
 * s_in / (s_out·in_h·in_w). kh/kw/stride/pad are not read. */
#include "tt_kernels.h"

void tt_global_avgpool_s8(const tt_pool_params_t *p, const int8_t *x, int8_t *y) {
  const int32_t hw = (int32_t)p->in_h * p->in_w;
  const int32_t lo = p->act_min - p->out_zp, hi = p->act_max - p->out_zp;
  int32_t c, i;
  for (c = 0; c < p->c; c++) {
    const int8_t *xc = x + c * hw;
    int32_t sum = 0;
    for (i = 0; i < hw; i++) sum += xc[i];
    /* Clamp before adding out_zp: the requantized value may be near INT32_MAX. */
    y[c] = (int8_t)(tt_clamp_i32(tt_requantize(sum - hw * p->in_zp, p->multiplier, p->shift),
                                 lo, hi) + p->out_zp);
  }
}
