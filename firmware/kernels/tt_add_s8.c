/* tt_add_s8: TFLite int8 Add. Each input, offset by its zero point and scaled up by
 * 2^left_shift for headroom, is brought to a common scale with its own multiplier; the sum
 * is requantized to the output. Input/output shifts are <= 0 in TFLite
 * (MultiplyByQuantizedMultiplierSmallerThanOneExp), which tt_requantize equals for those.
 * Elementwise, each output written after both inputs are read, so y may alias a or b.
 * left_shift <= 23 keeps (q − zp)·2^left_shift inside int32. */
#include "tt_kernels.h"

void tt_add_s8(const tt_add_params_t *p, const int8_t *a, const int8_t *b, int8_t *y) {
  const int32_t lo = p->act_min - p->out_zp, hi = p->act_max - p->out_zp;
  const int32_t scale = (int32_t)1 << p->left_shift;
  uint32_t i;
  for (i = 0; i < p->size; i++) {
    const int32_t va = tt_requantize((a[i] - p->in1_zp) * scale, p->in1_multiplier, p->in1_shift);
    const int32_t vb = tt_requantize((b[i] - p->in2_zp) * scale, p->in2_multiplier, p->in2_shift);
    const int32_t v = tt_requantize(va + vb, p->out_multiplier, p->out_shift);
    y[i] = (int8_t)(tt_clamp_i32(v, lo, hi) + p->out_zp);
  }
}
