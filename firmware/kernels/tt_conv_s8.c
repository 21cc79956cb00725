/* tt_conv_s8: int8 convolution, any groups (regular, grouped, depthwise with any channel
 * multiplier). Portable reference path; the specialized kernels must match it bit for bit.
 *
 * acc = bias + Σ (x − in_zp)·w over the taps that fall inside the input (padding adds
 * nothing). It is computed as Σ x·w − in_zp·Σ w, exact in integers, so the zero point
 * leaves the inner loop; Σ w is per output channel except on border windows, where only
 * the valid taps count. int32 holds acc while in_c/groups·kh·kw < 65536. */
#include "tt_kernels.h"
#include "tt_conv_geometry.h"

static int8_t store(const tt_conv_params_t *p, int32_t acc, int32_t oc) {
  /* Clamp before adding out_zp: the requantized value may be near INT32_MAX. */
  const int32_t v = tt_requantize(acc, p->multiplier[oc], p->shift[oc]);
  return (int8_t)(tt_clamp_i32(v, p->act_min - p->out_zp, p->act_max - p->out_zp) + p->out_zp);
}

void tt_conv_s8(const tt_conv_params_t *p, const int8_t *x, int8_t *y) {
  const int32_t in_h = p->in_h, in_w = p->in_w, kh = p->kh, kw = p->kw;
  const int32_t icg = p->in_c / p->groups, ocg = p->out_c / p->groups;
  const int32_t plane = in_h * in_w, wsize = icg * kh * kw;
  int32_t oc;
  for (oc = 0; oc < p->out_c; oc++) {
    const int8_t *w = p->weight + oc * wsize;
    const int8_t *xg = x + (oc / ocg) * icg * plane;
    const int32_t bias = p->bias ? p->bias[oc] : 0;
    int32_t wsum = 0, i, oy, ox;
    for (i = 0; i < wsize; i++) wsum += w[i];
    for (oy = 0; oy < p->out_h; oy++) {
      const int32_t iy0 = oy * p->stride_h - p->pad_t;
      int32_t ky0, ky1;
      tt_window_taps(iy0, kh, in_h, &ky0, &ky1);
      for (ox = 0; ox < p->out_w; ox++) {
        const int32_t ix0 = ox * p->stride_w - p->pad_l;
        int32_t kx0, kx1;
        tt_window_taps(ix0, kw, in_w, &kx0, &kx1);
        const int32_t n = kx1 - kx0;
        const int full = ky0 == 0 && ky1 == kh && kx0 == 0 && kx1 == kw;
        int32_t sxw = 0, sw = 0, ic, ky, kx;
        for (ic = 0; ic < icg; ic++) {
          const int8_t *xc = xg + ic * plane;
          const int8_t *wc = w + ic * kh * kw;
          for (ky = ky0; ky < ky1; ky++) {
            const int8_t *xr = xc + (iy0 + ky) * in_w + ix0 + kx0;
            const int8_t *wr = wc + ky * kw + kx0;
            for (kx = 0; kx < n; kx++) sxw += xr[kx] * wr[kx];
            if (!full)
              for (kx = 0; kx < n; kx++) sw += wr[kx];
          }
        }
        y[(oc * p->out_h + oy) * p->out_w + ox] =
            store(p, bias + sxw - p->in_zp * (full ? wsum : sw), oc);
      }
    }
  }
}
