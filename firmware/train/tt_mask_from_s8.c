/* tt_mask_from_s8: 1-bit activation mask from a saved int8 output, so ReLU/ReLU6/clip
 * backward keeps n/8 bytes instead of the tensor. bits[i/8] bit (i%8), LSB first, is
 * (lo < x[i] < hi): strict, like PyTorch's relu/hardtanh backward (no gradient at the
 * clamp values). Unused high bits of the last byte are written as 0. */
#include "tt_train.h"

void tt_mask_from_s8(const int8_t *x, uint32_t n, int32_t lo, int32_t hi, uint8_t *bits) {
  uint32_t i;
  for (i = 0; i < n; i += 8) {
    const uint32_t m = n - i < 8 ? n - i : 8;
    uint32_t b;
    uint8_t v = 0;
    for (b = 0; b < m; b++)
      if (x[i + b] > lo && x[i + b] < hi) v |= (uint8_t)(1u << b);
    bits[i / 8] = v;
  }
}
