/* tt_elementwise_f32: fp32 gradient plumbing — dst += src (a tensor with several
 * consumers), copy, and scale. One operation per element, so no ordering question. */
#include "tt_train.h"

void tt_add_f32(float *dst, const float *src, uint32_t n) {
  uint32_t i;
  for (i = 0; i < n; i++) dst[i] += src[i];
}

void tt_copy_f32(float *dst, const float *src, uint32_t n) {
  uint32_t i;
  for (i = 0; i < n; i++) dst[i] = src[i];
}

void tt_scale_f32(float *g, uint32_t n, float s) {
  uint32_t i;
  for (i = 0; i < n; i++) g[i] *= s;
}
