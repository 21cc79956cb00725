/* tt_maxpool_s8: int8 max pooling over the window cells inside the input (padding is −inf,
 * as in ONNX), then the fused-activation clamp. Output keeps the input's quantization
 * parameters, so there is no requantization and zero points are unused. A window with no
 * valid cell (only if padding >= kernel) gives act_min. */
#include "tt_kernels.h"
#include "tt_conv_geometry.h"

void tt_maxpool_s8(const tt_pool_params_t *p, const int8_t *x, int8_t *y) {
  const int32_t in_h = p->in_h, in_w = p->in_w, kh = p->kh, kw = p->kw;
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
        int32_t m = INT32_MIN;
        for (ky = ky0; ky < ky1; ky++) {
          const int8_t *xr = xc + (iy0 + ky) * in_w + ix0;
          for (kx = kx0; kx < kx1; kx++)
            if (xr[kx] > m) m = xr[kx];
        }
        y[(c * p->out_h + oy) * p->out_w + ox] = (int8_t)tt_clamp_i32(m, p->act_min, p->act_max);
      }
    }
  }
}
