/* tt_avgpool_backward_f32: each output's gradient dy/count goes to every input cell of
 * its window that lies inside the input (padding cells receive nothing). count follows
 * tt_avgpool_s8: kh·kw when count_include_pad or the window is complete, else the
 * number of valid cells; a window with no valid cell passes nothing. Scatter in output
 * order (c, oy, ox, ky, kx), after dx's previous value (accumulate) or 0. */
#include "tt_train.h"
#include "tt_conv_geometry.h"

void tt_avgpool_backward_f32(const tt_pool_params_t *p, const float *dy, float *dx, int accumulate) {
  const int32_t in_h = p->in_h, in_w = p->in_w, kh = p->kh, kw = p->kw, full = kh * kw;
  const int32_t plane = in_h * in_w;
  int32_t c, oy, ox, ky, kx;
  if (!accumulate)
    for (c = 0; c < p->c * plane; c++) dx[c] = 0.0f;
  for (c = 0; c < p->c; c++) {
    float *dxc = dx + c * plane;
    for (oy = 0; oy < p->out_h; oy++) {
      const int32_t iy0 = oy * p->stride_h - p->pad_t;
      int32_t ky0, ky1;
      tt_window_taps(iy0, kh, in_h, &ky0, &ky1);
      for (ox = 0; ox < p->out_w; ox++) {
        const int32_t ix0 = ox * p->stride_w - p->pad_l;
        int32_t kx0, kx1;
        tt_window_taps(ix0, kw, in_w, &kx0, &kx1);
        const int32_t n = ky1 > ky0 && kx1 > kx0 ? (ky1 - ky0) * (kx1 - kx0) : 0;
        float g;
        if (n == 0) continue;
        g = dy[(c * p->out_h + oy) * p->out_w + ox] / (float)(p->count_include_pad ? full : n);
        for (ky = ky0; ky < ky1; ky++) {
          float *d = dxc + (iy0 + ky) * in_w + ix0;
          for (kx = kx0; kx < kx1; kx++) d[kx] += g;
        }
      }
    }
  }
}
