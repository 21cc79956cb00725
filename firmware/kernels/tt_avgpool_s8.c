/* tt_avgpool_s8: int8 average pooling.
 *
 * acc = Σ (x − in_zp) over the window cells inside the input; multiplier/shift encode
 * s_in / (s_out·kh·kw), the full-window divisor.
 *  - count_include_pad, or a window entirely inside the input:
 *      out = out_zp + requant(acc, multiplier, shift)
 *  - padding excluded and the window partial (n < kh·kw valid cells): the divisor is n,
 *    so acc is rescaled by kh·kw/n first, keeping 6 fraction bits (exact, 64-bit):
 *      t   = round_half_away_from_zero(acc · kh·kw · 64 / n)
 *      out = out_zp + requant(t, multiplier, shift − 6)
 *    The pre-rounding costs at most M/128 of an output step (M = the real multiplier);
 *    without the fraction bits it would be M/2.
 *  - a window with no valid cell (only if padding >= kernel) gives acc = 0, i.e. out_zp.
 * Then clamp to [act_min, act_max]. */
#include "tt_kernels.h"
#include "tt_conv_geometry.h"

#define TT_AVG_FRAC_BITS 6

static int32_t rescale_partial(int32_t acc, int32_t full, int32_t n) {
  const int64_t num = (int64_t)acc * full * (1 << TT_AVG_FRAC_BITS);
  int64_t q = num / n;
  const int64_t r = num - q * n;
  if (2 * (r < 0 ? -r : r) >= n) q += num < 0 ? -1 : 1;
  return (int32_t)q;
}

void tt_avgpool_s8(const tt_pool_params_t *p, const int8_t *x, int8_t *y) {
  const int32_t in_h = p->in_h, in_w = p->in_w, kh = p->kh, kw = p->kw;
  const int32_t full = kh * kw;
  const int32_t lo = p->act_min - p->out_zp, hi = p->act_max - p->out_zp;
  int32_t c, oy, ox, ky, kx;
  for (c = 0; c < p->c; c++) {
    const int8_t *xc = x + c * in_h * in_w;
    for (oy = 0; oy < p->out_h; oy++) {
      const int32_t iy0 = oy * p->stride_h - p->pad_t;
      int32_t ky0, ky1;
      tt_window_taps(iy0, kh, in_h, &ky0, &ky1);
      for (ox = 0; ox < p->out_w; ox++) {
        const int32_t ix0 = ox * p->stride_w - p->pad_l;
        int32_t kx0, kx1;
        tt_window_taps(ix0, kw, in_w, &kx0, &kx1);
        const int32_t n = ky1 > ky0 && kx1 > kx0 ? (ky1 - ky0) * (kx1 - kx0) : 0;
        int32_t sum = 0, acc, v;
        for (ky = ky0; ky < ky1; ky++) {
          const int8_t *xr = xc + (iy0 + ky) * in_w + ix0;
          for (kx = kx0; kx < kx1; kx++) sum += xr[kx];
        }
        acc = sum - n * p->in_zp;
        if (p->count_include_pad || n == full || n == 0)
          v = tt_requantize(acc, p->multiplier, p->shift);
        else
          v = tt_requantize(rescale_partial(acc, full, n), p->multiplier,
                            p->shift - TT_AVG_FRAC_BITS);
        y[(c * p->out_h + oy) * p->out_w + ox] = (int8_t)(tt_clamp_i32(v, lo, hi) + p->out_zp);
      }
    }
  }
}
