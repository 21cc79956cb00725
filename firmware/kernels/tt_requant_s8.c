/* tt_requant_s8: y = clamp(out_zp + requant(x − in_zp)), elementwise. Standalone Relu/Clip
 * that also changes quantization parameters. y may alias x. */
#include "tt_kernels.h"

void tt_requant_s8(const tt_requant_params_t *p, const int8_t *x, int8_t *y) {
  const int32_t lo = p->act_min - p->out_zp, hi = p->act_max - p->out_zp;
  uint32_t i;
  for (i = 0; i < p->size; i++) {
    const int32_t v = tt_requantize(x[i] - p->in_zp, p->multiplier, p->shift);
    /* Clamp before adding out_zp: the requantized value may be near INT32_MAX. */
    y[i] = (int8_t)(tt_clamp_i32(v, lo, hi) + p->out_zp);
  }
}
