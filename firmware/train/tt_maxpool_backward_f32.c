/* tt_maxpool_backward_f32: each output's gradient goes to the first maximal cell of its
 * window in the saved int8 input, scanning rows then columns and considering only cells
 * inside the input (padding is −inf, as in tt_maxpool_s8). Ties go to the first cell,
 * as in PyTorch's max_pool2d. The forward clamp is not undone here: a clamped output's
 * mask is applied to dy separately. Scatter in output order after dx's previous value
 * (accumulate) or 0. */
#include "tt_train.h"
#include "tt_conv_geometry.h"

void tt_maxpool_backward_f32(const tt_pool_params_t *p, const int8_t *x, const float *dy,
                             float *dx, int accumulate) {
  const int32_t in_h = p->in_h, in_w = p->in_w, kh = p->kh, kw = p->kw;
  const int32_t plane = in_h * in_w;
  int32_t c, oy, ox, ky, kx;
  if (!accumulate)
    for (c = 0; c < p->c * plane; c++) dx[c] = 0.0f;
  for (c = 0; c < p->c; c++) {
    const int8_t *xc = x + c * plane;
    for (oy = 0; oy < p->out_h; oy++) {
      const int32_t iy0 = oy * p->stride_h - p->pad_t;
      int32_t ky0, ky1;
      tt_window_taps(iy0, kh, in_h, &ky0, &ky1);
      for (ox = 0; ox < p->out_w; ox++) {
        const int32_t ix0 = ox * p->stride_w - p->pad_l;
        int32_t kx0, kx1;
        tt_window_taps(ix0, kw, in_w, &kx0, &kx1);
        int32_t m = INT32_MIN, at = -1;
        for (ky = ky0; ky < ky1; ky++) {
          const int32_t row = (iy0 + ky) * in_w + ix0;
          for (kx = kx0; kx < kx1; kx++)
            if (xc[row + kx] > m) { m = xc[row + kx]; at = row + kx; }
        }
        if (at >= 0) dx[c * plane + at] += dy[(c * p->out_h + oy) * p->out_w + ox];
      }
    }
  }
}
