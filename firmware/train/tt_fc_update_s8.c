/* tt_fc_update_s8: fused weight gradient + QAS update of a fully connected layer
 * (weights [N][K]). sel lists input features; x_saved[j] is feature sel[j]:
 *   Δ[n,k] = −(lr·s_x/s_w[n]) · dy[n]·(x_j − z_x),  k = sel[j]
 * loop and draw order n, j. Identical bits to tt_conv_update_s8 on a 1x1 map. */
#include "tt_train.h"

/* One QAS step on an int8 weight: q moves by d = Δ (int units), rounded by `rounding`,
 * clamped to [-127, 127]. Shared verbatim by the four weight-update files so each
 * kernel file stands alone.
 *  NEAREST     round_half_away(q + d), evaluated exactly: d = t + f (t = trunc(d),
 *              f = d − t is exact), then the tie rule on f and the sign of q + d.
 *  STOCHASTIC  q + t + floor(f + u), u = tt_rng_uniform (f + u in fp32). The draw is
 *              taken for every updated element, before any check on d, so the stream
 *              depends only on the geometry.
 *  MASTER      m ← clamp(m + d, −127, 127) (the clamp keeps m from winding up beyond
 *              what q can follow), q ← round_half_away(m). NULL master: NEAREST.
 * A NaN d changes nothing (the caller skips non-finite losses anyway). */
static int8_t qas_step_s8(int8_t q, float d, uint8_t rounding, float *master, tt_rng_t *rng) {
  int32_t t, v;
  float f;
  if (rounding == TT_ROUND_MASTER && master) {
    float m = *master + d;
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

void tt_fc_update_s8(const tt_fc_update_params_t *p, const int8_t *x_saved, const float *dy,
                     float lr, tt_rng_t *rng) {
  const int32_t in = p->in_features, zp = p->x_zp;
  int32_t n, j;
  for (n = 0; n < p->out_features; n++) {
    const float ws = p->w_scale[n];
    const float k = ws > 0.0f ? lr * p->x_scale / ws : 0.0f;
    const float g = dy[n];
    for (j = 0; j < p->n_sel; j++) {
      const int32_t widx = n * in + (p->sel ? p->sel[j] : j);
      const float acc = g * (float)(x_saved[j] - zp);
      p->weight[widx] = qas_step_s8(p->weight[widx], -(k * acc), p->rounding,
                                    p->master ? p->master + widx : 0, rng);
    }
  }
}
