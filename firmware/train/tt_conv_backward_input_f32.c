/* tt_conv_backward_input_f32: input gradient of any convolution (regular, grouped,
 * depthwise with a channel multiplier) — the transposed convolution in real units,
 * w_real = s_w[o]·q_w.
 *
 * Input channel i belongs to group g = i / (in_c/groups) and receives from the output
 * channels o in [g·opg, (g+1)·opg). Scatter form, one input plane at a time:
 *   for i: for o in group: for ky, kx: for oy, ox (valid):
 *       dx[i, oy·sh − pt + ky, ox·sw − pl + kx] += (s_w[o]·q_w[o,i%ipg,ky,kx])·dy[o,oy,ox]
 * so every dx element sums its terms in the fixed order (o, ky, kx), after its previous
 * value (accumulate) or 0. Input cells no window reaches get 0 (or keep their value).
 * tt_depthwise_/tt_pointwise_backward_input_f32 do the same operations in the same order
 * and give identical bits. */
#include "tt_train.h"
#include "tt_conv_geometry.h"

void tt_conv_backward_input_f32(const tt_conv_grad_params_t *p, const float *dy, float *dx,
                                int accumulate) {
  const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
  const int32_t kh = p->kh, kw = p->kw, sh = p->stride_h, sw = p->stride_w;
  const int32_t ipg = p->in_c / p->groups, opg = p->out_c / p->groups;
  const int32_t plane_in = in_h * in_w, plane_out = out_h * out_w;
  int32_t i, o, ky, kx, oy, ox;
  for (i = 0; i < p->in_c; i++) {
    float *dxc = dx + i * plane_in;
    const int32_t g = i / ipg, j = i - g * ipg;
    if (!accumulate)
      for (oy = 0; oy < plane_in; oy++) dxc[oy] = 0.0f;
    for (o = g * opg; o < (g + 1) * opg; o++) {
      const int8_t *w = p->weight + (o * ipg + j) * kh * kw;
      const float *dyo = dy + o * plane_out;
      const float s = p->w_scale[o];
      for (ky = 0; ky < kh; ky++) {
        int32_t oy0, oy1;
        tt_tap_range(ky, p->pad_t, sh, in_h, out_h, &oy0, &oy1);
        for (kx = 0; kx < kw; kx++) {
          const float wv = s * (float)w[ky * kw + kx];
          int32_t ox0, ox1;
          tt_tap_range(kx, p->pad_l, sw, in_w, out_w, &ox0, &ox1);
          for (oy = oy0; oy < oy1; oy++) {
            float *d = dxc + (oy * sh - p->pad_t + ky) * in_w + ox0 * sw - p->pad_l + kx;
            const float *gr = dyo + oy * out_w;
            for (ox = ox0; ox < ox1; ox++, d += sw) *d += wv * gr[ox];
          }
        }
      }
    }
  }
}
