/* tt_pointwise_backward_input_f32: input gradient of a 1x1, stride 1, unpadded, groups 1
 * convolution: dx[i,p] = Σ_o (s_w[o]·q_w[o,i])·dy[o,p], summed in o order after dx's
 * previous value (accumulate) or 0. Identical bits to tt_conv_backward_input_f32. */
#include "tt_train.h"
#include "tt_split.h"

void tt_pointwise_backward_input_f32(const tt_conv_grad_params_t *p, const float *dy, float *dx,
                                     int accumulate) {
  const int32_t hw = (int32_t)p->in_h * p->in_w, in_c = p->in_c;
  int32_t i, o, px;
  for (i = 0; i < in_c; i++) {
    float *dxc = dx + i * hw;
    if (!accumulate)
      for (px = 0; px < hw; px++) dxc[px] = 0.0f;
    for (o = 0; o < p->out_c; o++) {
      const uint16_t sl = p->weight_train ? p->in_slot[i] : 0;
      const int8_t q = !p->weight_train ? p->weight[o * in_c + i]
                       : (sl & TT_SLOT_TRAIN) ? p->weight_train[o * p->n_train + (sl & 0x7fffu)]
                                              : p->weight[o * (in_c - p->n_train) + sl];
      const float wv = p->w_scale[o] * (float)q;
      const float *dyo = dy + o * hw;
      for (px = 0; px < hw; px++) dxc[px] += wv * dyo[px];
    }
  }
}
