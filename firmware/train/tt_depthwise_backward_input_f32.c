/* tt_depthwise_backward_input_f32: input gradient of a depthwise convolution
 * (groups == in_c == out_c, weights [C,1,kh,kw]):
 *   dx[c, oy·sh − pt + ky, ox·sw − pl + kx] += (s_w[c]·q_w[c,ky,kx])·dy[c,oy,ox]
 * in the order (ky, kx, oy, ox), after dx's previous value (accumulate) or 0. The same
 * operations in the same order as tt_conv_backward_input_f32: identical bits. */
#include "tt_train.h"
#include "tt_conv_geometry.h"
#include "tt_split.h"

/* One channel: dxc (+)= transposed conv of dyc. */
static void channel_backward(const tt_conv_grad_params_t *p, int32_t c, const float *dyc, float *dxc,
                             int accumulate) {
  const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
  const int32_t kh = p->kh, kw = p->kw, sh = p->stride_h, sw = p->stride_w;
  const int32_t plane_in = in_h * in_w;
  int32_t ky, kx, oy, ox;
  {
    const int8_t *w = tt_split_channel(p->weight, p->weight_train, p->in_slot, c, kh * kw);
    const float s = p->w_scale[c];
    if (!accumulate)
      for (oy = 0; oy < plane_in; oy++) dxc[oy] = 0.0f;
    for (ky = 0; ky < kh; ky++) {
      int32_t oy0, oy1;
      tt_tap_range(ky, p->pad_t, sh, in_h, out_h, &oy0, &oy1);
      for (kx = 0; kx < kw; kx++) {
        const float wv = s * (float)w[ky * kw + kx];
        int32_t ox0, ox1;
        tt_tap_range(kx, p->pad_l, sw, in_w, out_w, &ox0, &ox1);
        for (oy = oy0; oy < oy1; oy++) {
          float *d = dxc + (oy * sh - p->pad_t + ky) * in_w + ox0 * sw - p->pad_l + kx;
          const float *gr = dyc + oy * out_w;
          for (ox = ox0; ox < ox1; ox++, d += sw) *d += wv * gr[ox];
        }
      }
    }
  }
}

void tt_depthwise_backward_input_f32(const tt_conv_grad_params_t *p, const float *dy, float *dx,
                                     int accumulate) {
  const int32_t plane_in = (int32_t)p->in_h * p->in_w, plane_out = (int32_t)p->out_h * p->out_w;
  for (int32_t c = 0; c < p->in_c; c++)
    channel_backward(p, c, dy + c * plane_out, dx + c * plane_in, accumulate);
}

/* In place (stride 1, input and output planes of one size): each channel's input gradient
 * is computed into `scratch` (one plane) and then replaces that channel's output gradient,
 * which nothing reads afterwards. Same operations in the same order: identical bits. */
void tt_depthwise_backward_input_inplace_f32(const tt_conv_grad_params_t *p, float *g, float *scratch) {
  const int32_t plane = (int32_t)p->in_h * p->in_w;
  for (int32_t c = 0; c < p->in_c; c++) {
    float *gc = g + c * plane;
    channel_backward(p, c, gc, scratch, 0);
    for (int32_t i = 0; i < plane; i++) gc[i] = scratch[i];
  }
}
