/* tt_depthwise_update_s8: fused weight gradient + QAS update of a depthwise convolution
 * (groups == in_c == out_c, weights [C,1,kh,kw]). sel lists channels c (ascending);
 * weight[c] is updated from x_saved plane j (c = sel[j]) and dy[c]:
 *   Δ[c,ky,kx] = −(lr·s_x/s_w[c]) · Σ_{oy,ox valid} dy[c,oy,ox]·(x_j[oy·sh − pt + ky, ox·sw − pl + kx] − z_x)
 * summed oy then ox; loop and draw order j, ky, kx. Same operations and order as
 * tt_conv_update_s8 with groups == in_c (identical bits and draws). */
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

/* Output indices [*o0, *o1) whose tap k lands inside the input: 0 <= o·s − pad + k < in. */
static void tap_range(int32_t k, int32_t pad, int32_t s, int32_t in, int32_t out,
                      int32_t *o0, int32_t *o1) {
  const int32_t a = pad - k, b = in - 1 + pad - k;
  int32_t hi = b < 0 ? -1 : b / s;
  *o0 = a <= 0 ? 0 : (a + s - 1) / s;
  if (hi > out - 1) hi = out - 1;
  *o1 = hi + 1;
}

void tt_depthwise_update_s8(const tt_conv_update_params_t *p, const int8_t *x_saved,
                            const float *dy, float lr, tt_rng_t *rng) {
  const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
  const int32_t kh = p->kh, kw = p->kw, sh = p->stride_h, sw = p->stride_w;
  const int32_t plane_in = in_h * in_w, plane_out = out_h * out_w, zp = p->x_zp;
  int32_t j, ky, kx, oy, ox;
  for (j = 0; j < p->n_sel; j++) {
    const int32_t c = p->sel ? p->sel[j] : j;
    const int8_t *xs = x_saved + j * plane_in;
    const float *dyc = dy + c * plane_out;
    const float ws = p->w_scale[c];
    const float k = ws > 0.0f ? lr * p->x_scale / ws : 0.0f;
    int32_t widx = c * kh * kw;
    for (ky = 0; ky < kh; ky++) {
      int32_t oy0, oy1;
      tap_range(ky, p->pad_t, sh, in_h, out_h, &oy0, &oy1);
      for (kx = 0; kx < kw; kx++, widx++) {
        float acc = 0.0f;
        int32_t ox0, ox1;
        tap_range(kx, p->pad_l, sw, in_w, out_w, &ox0, &ox1);
        for (oy = oy0; oy < oy1; oy++) {
          const int8_t *xr = xs + (oy * sh - p->pad_t + ky) * in_w + ox0 * sw - p->pad_l + kx;
          const float *gr = dyc + oy * out_w;
          for (ox = ox0; ox < ox1; ox++, xr += sw) acc += gr[ox] * (float)(*xr - zp);
        }
        p->weight[widx] = qas_step_s8(p->weight[widx], -(k * acc), p->rounding,
                                      p->master ? p->master + widx : 0, rng);
      }
    }
  }
}
