/* Convolution tap geometry shared by the training kernels (firmware/train): which output
 * positions a kernel tap reaches. Header-only (static inline) so every kernel file keeps
 * its own copy of the code and the same operations in the same order. */
#ifndef TT_CONV_GEOMETRY_H
#define TT_CONV_GEOMETRY_H
#include <stdint.h>

/* Output indices [*o0, *o1) whose tap k lands inside the input: 0 <= o·s − pad + k < in
 * (s = stride >= 1, out = output size along the axis). Empty (*o0 >= *o1) when the tap
 * only ever sees padding. */
static inline void tt_tap_range(int32_t k, int32_t pad, int32_t s, int32_t in, int32_t out,
                                int32_t *o0, int32_t *o1) {
  const int32_t a = pad - k, b = in - 1 + pad - k;
  int32_t hi = b < 0 ? -1 : b / s;
  *o0 = a <= 0 ? 0 : (a + s - 1) / s;
  if (hi > out - 1) hi = out - 1;
  *o1 = hi + 1;
}

/* Taps [k0, k1) of a k-wide window starting at input index i0 that fall inside [0, in);
 * k1 <= k0 when none does. */
static inline void tt_window_taps(int32_t i0, int32_t k, int32_t in, int32_t *k0, int32_t *k1) {
  *k0 = i0 < 0 ? -i0 : 0;
  *k1 = i0 + k > in ? in - i0 : k;
}
#endif
