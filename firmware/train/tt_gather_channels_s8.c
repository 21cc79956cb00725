/* tt_gather_channels_s8: out[j] = plane sel[j] of x (CHW), j = 0..n_sel−1 — the saved
 * input of a partially updated layer holds only its selected channels, in sel order. */
#include "tt_train.h"

void tt_gather_channels_s8(const int8_t *x, uint32_t plane, const uint16_t *sel, uint16_t n_sel,
                           int8_t *out) {
  uint32_t j, i;
  for (j = 0; j < n_sel; j++) {
    const int8_t *src = x + (uint32_t)sel[j] * plane;
    for (i = 0; i < plane; i++) out[j * plane + i] = src[i];
  }
}
