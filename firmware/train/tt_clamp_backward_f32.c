/* tt_clamp_backward_f32: ReLU/ReLU6/clip backward straight from the saved int8 output
 * (when the output is saved anyway, a mask would be a second copy): g[i] = 0 unless
 * lo < y[i] < hi, the same strict test as tt_mask_from_s8. */
#include "tt_train.h"

void tt_clamp_backward_f32(float *g, const int8_t *y, uint32_t n, int32_t lo, int32_t hi) {
  uint32_t i;
  for (i = 0; i < n; i++)
    if (!(y[i] > lo && y[i] < hi)) g[i] = 0.0f;
}
