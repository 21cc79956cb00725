/* tt_qas_step_s8: one QAS step on an int8 weight, shared by the four weight-update
 * kernels (tt_conv/depthwise/pointwise/fc_update_s8). Semantics in tt_train.h. */
#include "tt_train.h"

int8_t tt_qas_step_s8(int8_t q, float d, uint8_t rounding, float *master, tt_rng_t *rng) {
  int32_t t, v;
  float f;
  if (rounding == TT_ROUND_MASTER && master) {
    float m = *master;
    if (d != d) return q;                   /* before the lazy set: NaN sets nothing */
    if (m != m) m = (float)q;               /* TT_MASTER_UNSET: start from the current q */
    m += d;
    if (m != m) return q;
    m = m > 127.0f ? 127.0f : (m < -127.0f ? -127.0f : m);
    *master = m;
    t = (int32_t)m;
    f = m - (float)t;                       /* same sign as m: ties go away from zero */
    return (int8_t)(t + (f >= 0.5f ? 1 : (f <= -0.5f ? -1 : 0)));
  }
  if (rounding == TT_ROUND_STOCHASTIC) {
    const float u = tt_rng_uniform(rng);
    if (d != d) return q;
    d = d > 512.0f ? 512.0f : (d < -512.0f ? -512.0f : d);
    t = (int32_t)d;
    f = (d - (float)t) + u;                 /* in (−1, 2) */
    v = q + t + (f >= 1.0f ? 1 : (f < 0.0f ? -1 : 0));
  } else {
    if (d != d) return q;
    d = d > 512.0f ? 512.0f : (d < -512.0f ? -512.0f : d);
    t = (int32_t)d;
    f = d - (float)t;                       /* |f| < 1, exact */
    v = q + t;
    if (v > 0 || (v == 0 && f > 0.0f))     /* q + d > 0: floor(q + d + 1/2) */
      v += f >= 0.5f ? 1 : (f < -0.5f ? -1 : 0);
    else                                    /* q + d <= 0: ceil(q + d − 1/2) */
      v += f <= -0.5f ? -1 : (f > 0.5f ? 1 : 0);
  }
  return (int8_t)(v > 127 ? 127 : (v < -127 ? -127 : v));
}
