/* tt_bias_update_s32: fused bias gradient + QAS update, one output channel at a time:
 *   G_b[o] = Σ_p dy[o,p] (p = 0..plane−1 in order),  Δ = −(lr/(s_x·s_w[o]))·G_b[o]
 * in int32 units of s_x·s_w[o]. Rounding as for weights (see tt_qas_step_s8 in
 * tt_train.h), evaluated exactly in 64-bit integers — a bias can exceed 2^24,
 * where fp32 no longer holds every integer — and saturated to int32. MASTER keeps
 * m (fp32, int units) ← clamp(m + Δ, −2^31, 2^31) and sets q = round_half_away(m)
 * saturated to int32: m resolves fractions only while |m| < 2^23 or so (typical biases
 * are far below). master is [out_c]; a NaN entry (TT_MASTER_UNSET) is first set to
 * (float)q (rounded to nearest above 2^24).
 * A channel with s_x·s_w[o] <= 0 gets Δ = 0; a NaN Δ changes nothing (an unset master
 * entry stays unset). */
#include "tt_train.h"
#include "tt_simd.h"

#define TWO31 2147483648.0f
#define DELTA_MAX 8589934592.0f          /* 2^33: beyond it every q saturates the same */

static int32_t saturate(int64_t v) {
  return v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : (int32_t)v);
}

static int32_t step(int32_t q, float d, uint8_t rounding, float *master, tt_rng_t *rng) {
  int64_t t, v;
  float f;
  if (rounding == TT_ROUND_MASTER && master) {
    float m = *master;
    int32_t ti;
    if (d != d) return q;                   /* before the lazy set: NaN sets nothing */
    if (m != m) m = (float)q;               /* TT_MASTER_UNSET: start from the current q */
    m += d;
    if (m != m) return q;
    m = m > TWO31 ? TWO31 : (m < -TWO31 ? -TWO31 : m);
    *master = m;
    if (m >= TWO31) return INT32_MAX;
    ti = (int32_t)m;                        /* exact: |m| < 2^31 or m = −2^31 */
    f = m - (float)ti;                      /* same sign as m: ties go away from zero */
    return ti + (f >= 0.5f ? 1 : (f <= -0.5f ? -1 : 0)); /* |f| < 1/2 once |m| >= 2^23 */
  }
  if (rounding == TT_ROUND_STOCHASTIC) {
    const float u = tt_rng_uniform(rng);    /* drawn first: the stream is data-independent */
    if (d != d) return q;
    d = d > DELTA_MAX ? DELTA_MAX : (d < -DELTA_MAX ? -DELTA_MAX : d);
    t = (int64_t)d;
    f = (d - (float)t) + u;                 /* in (−1, 2) */
    return saturate(q + t + (f >= 1.0f ? 1 : (f < 0.0f ? -1 : 0)));
  }
  if (d != d) return q;
  d = d > DELTA_MAX ? DELTA_MAX : (d < -DELTA_MAX ? -DELTA_MAX : d);
  t = (int64_t)d;
  f = d - (float)t;                         /* |f| < 1, exact */
  v = q + t;
  if (v > 0 || (v == 0 && f > 0.0f))       /* q + d > 0: floor(q + d + 1/2) */
    v += f >= 0.5f ? 1 : (f < -0.5f ? -1 : 0);
  else                                      /* q + d <= 0: ceil(q + d − 1/2) */
    v += f <= -0.5f ? -1 : (f > 0.5f ? 1 : 0);
  return saturate(v);
}

/* The portable loop; noinline keeps its code (and speed) as before the optimized path. */
static __attribute__((noinline)) void bias_update_portable(const tt_bias_update_params_t *p, const float *dy,
                                                           float lr, tt_rng_t *rng) {
  uint32_t o, i;
  for (o = 0; o < p->out_c; o++) {
    const float *g = dy + o * p->plane;
    const float sb = p->x_scale * p->w_scale[o];
    const float k = sb > 0.0f ? lr / sb : 0.0f;
    float acc = 0.0f;
    for (i = 0; i < p->plane; i++) acc += g[i];
    p->bias[o] = step(p->bias[o], -(k * acc), p->rounding, p->master ? p->master + o : 0, rng);
  }
}

#if TT_DSP
/* step() for NEAREST and STOCHASTIC (a master copy takes the portable loop) with the draw
 * inlined (tt_rng_uniform on a local state *st) and, when |d| < 2^30 and |q| < 2^30, all
 * integers in 32 bits: (int32_t)d is then (int64_t)d and q + t ± 1 cannot overflow or
 * saturate. libgcc's float -> int64 call was most of a step. The same values otherwise. */
static int32_t step_fast(int32_t q, float d, uint8_t rounding, uint32_t *st) {
  int64_t t, v;
  float f;
  if (rounding == TT_ROUND_STOCHASTIC) {
    uint32_t x = *st;
    float u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *st = x;
    u = (float)(x >> 8) * 5.9604644775390625e-8f;
    if (d != d) return q;
    if (d > -1073741824.0f && d < 1073741824.0f && q > -1073741824 && q < 1073741824) {
      const int32_t t32 = (int32_t)d;
      f = (d - (float)t32) + u;
      return q + t32 + (f >= 1.0f ? 1 : (f < 0.0f ? -1 : 0));
    }
    d = d > DELTA_MAX ? DELTA_MAX : (d < -DELTA_MAX ? -DELTA_MAX : d);
    t = (d > -TWO31 && d < TWO31) ? (int64_t)(int32_t)d : (int64_t)d;
    f = (d - (float)t) + u;
    return saturate(q + t + (f >= 1.0f ? 1 : (f < 0.0f ? -1 : 0)));
  }
  if (d != d) return q;
  d = d > DELTA_MAX ? DELTA_MAX : (d < -DELTA_MAX ? -DELTA_MAX : d);
  t = (d > -TWO31 && d < TWO31) ? (int64_t)(int32_t)d : (int64_t)d;
  f = d - (float)t;
  v = q + t;
  if (v > 0 || (v == 0 && f > 0.0f))
    v += f >= 0.5f ? 1 : (f < -0.5f ? -1 : 0);
  else
    v += f <= -0.5f ? -1 : (f > 0.5f ? 1 : 0);
  return saturate(v);
}

/* The sum of each plane unrolled by 8 (the same left-to-right additions). */
static void bias_update_dsp(const tt_bias_update_params_t *p, const float *dy, float lr, tt_rng_t *rng) {
  const uint32_t plane = p->plane;
  uint32_t o, i, st = rng->state;
  for (o = 0; o < p->out_c; o++) {
    const float *g = dy + o * plane;
    const float sb = p->x_scale * p->w_scale[o];
    const float k = sb > 0.0f ? lr / sb : 0.0f;
    float acc = 0.0f;
    for (i = 0; i + 8 <= plane; i += 8, g += 8) {
      acc += g[0];
      acc += g[1];
      acc += g[2];
      acc += g[3];
      acc += g[4];
      acc += g[5];
      acc += g[6];
      acc += g[7];
    }
    for (; i < plane; i++) acc += *g++;
    p->bias[o] = step_fast(p->bias[o], -(k * acc), p->rounding, &st);
  }
  rng->state = st;
}
#endif

void tt_bias_update_s32(const tt_bias_update_params_t *p, const float *dy, float lr, tt_rng_t *rng) {
#if TT_DSP
  if (!(p->rounding == TT_ROUND_MASTER && p->master)) {
    bias_update_dsp(p, dy, lr, rng);
    return;
  }
#endif
  bias_update_portable(p, dy, lr, rng);
}
