/* tt_depthwise_conv_s8: depthwise int8 convolution (groups == in_c == out_c, weights
 * [C,1,kh,kw]). Same arithmetic as tt_conv_s8 without the input-channel loop; results
 * are identical. Channel multipliers > 1 go through tt_conv_s8. */
#include "tt_kernels.h"
#include "tt_conv_geometry.h"
#include "tt_split.h"

static int8_t store(const tt_conv_params_t *p, int32_t acc, int32_t c) {
  /* Clamp before adding out_zp: the requantized value may be near INT32_MAX. */
  const int32_t v = tt_requantize(acc, p->multiplier[c], p->shift[c]);
  return (int8_t)(tt_clamp_i32(v, p->act_min - p->out_zp, p->act_max - p->out_zp) + p->out_zp);
}

void tt_depthwise_conv_s8(const tt_conv_params_t *p, const int8_t *x, int8_t *y) {
  const int32_t in_h = p->in_h, in_w = p->in_w, kh = p->kh, kw = p->kw;
  const int32_t plane = in_h * in_w, ksize = kh * kw;
  int32_t c;
  for (c = 0; c < p->out_c; c++) {
    const int8_t *w = tt_split_channel(p->weight, p->weight_train, p->in_slot, c, ksize);
    const int8_t *xc = x + c * plane;
    int8_t *yc = y + c * p->out_h * p->out_w;
    const int32_t bias = p->bias ? p->bias[c] : 0;
    int32_t wsum = 0, i, oy, ox;
    for (i = 0; i < ksize; i++) wsum += w[i];
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
        int32_t sxw = 0, sw = 0, ky, kx;
        for (ky = ky0; ky < ky1; ky++) {
          const int8_t *xr = xc + (iy0 + ky) * in_w + ix0 + kx0;
          const int8_t *wr = w + ky * kw + kx0;
          for (kx = 0; kx < n; kx++) sxw += xr[kx] * wr[kx];
          if (!full)
            for (kx = 0; kx < n; kx++) sw += wr[kx];
        }
        yc[oy * p->out_w + ox] = store(p, bias + sxw - p->in_zp * (full ? wsum : sw), c);
      }
    }
  }
}
