/* tt_mask_apply_f32: zero the gradient where the activation mask bit (LSB-first, see
 * tt_mask_from_s8) is clear. Other elements are left untouched. */
#include "tt_train.h"

void tt_mask_apply_f32(float *g, const uint8_t *bits, uint32_t n) {
  uint32_t i;
  for (i = 0; i < n; i++)
    if (!((bits[i >> 3] >> (i & 7)) & 1u)) g[i] = 0.0f;
}
