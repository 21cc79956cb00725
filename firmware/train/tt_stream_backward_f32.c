/* tt_stream_backward_f32: backward through a depthwise conv D and the conv P before it, one
 * channel c of D's input at a time (see tt_train.h). Each call below is an existing kernel
 * on a one-channel view of its parameters:
 *   plane  = D's input gradient for channel c       (depthwise, in_c = out_c = 1)
 *   plane *= clamp of P's activation on channel c
 *   dx    += P's input gradient from output channel c (out_c = 1; the first channel
 *            overwrites unless accumulating): every dx element sums its terms in
 *            (o, ky, kx) order, as the whole-tensor kernel does
 *   P's weights and bias of output channel c move by their QAS step.
 * P's input gradient uses its weights before their update, as the unstreamed steps do. */
#include "tt_train.h"

void tt_stream_backward_f32(const tt_stream_params_t *s, const float *dy, float *dx, float *plane,
                            float lr, tt_rng_t *rng) {
  const tt_conv_grad_params_t *d = s->dw;
  const uint32_t in_plane = (uint32_t)d->in_h * d->in_w, out_plane = (uint32_t)d->out_h * d->out_w;
  const uint32_t ksize = (uint32_t)d->kh * d->kw;
  uint32_t c, i;
  for (c = 0; c < d->in_c; c++) {
    tt_conv_grad_params_t dv = *d;
    dv.in_c = dv.out_c = dv.groups = 1;
    dv.weight = d->weight + c * ksize;
    dv.w_scale = d->w_scale + c;
    tt_depthwise_backward_input_f32(&dv, dy + c * out_plane, plane, 0);

    if (s->mask) {
      const uint32_t bit0 = c * in_plane;
      for (i = 0; i < in_plane; i++) {
        const uint32_t b = bit0 + i;
        if (!((s->mask[b >> 3] >> (b & 7)) & 1u)) plane[i] = 0.0f;
      }
    } else if (s->y) {
      tt_clamp_backward_f32(plane, s->y + c * in_plane, in_plane, s->lo, s->hi);
    }

    if (s->p_grad) {
      const tt_conv_grad_params_t *g = s->p_grad;
      tt_conv_grad_params_t gv = *g;
      const uint32_t ipg = g->in_c, k = (uint32_t)g->kh * g->kw;
      gv.out_c = 1;
      gv.w_scale = g->w_scale + c;
      if (g->weight_train) {
        gv.weight = g->weight + c * (ipg - g->n_train) * k;
        gv.weight_train = g->weight_train + c * g->n_train * k;
      } else {
        gv.weight = g->weight + c * ipg * k;
      }
      if (s->p_grad_pointwise) tt_pointwise_backward_input_f32(&gv, plane, dx, c > 0 || s->p_grad_accumulate);
      else tt_conv_backward_input_f32(&gv, plane, dx, c > 0 || s->p_grad_accumulate);
    }
    if (s->p_w) {
      const tt_conv_update_params_t *w = s->p_w;
      tt_conv_update_params_t wv = *w;
      const uint32_t k = (uint32_t)w->kh * w->kw;
      wv.out_c = 1;
      wv.w_scale = w->w_scale + c;
      wv.weight = w->weight + c * (w->weight_is_slice ? w->n_sel : (uint32_t)w->in_c) * k;
      if (w->master) wv.master = w->master + c * w->n_sel * k;
      if (s->p_w_pointwise) tt_pointwise_update_s8(&wv, s->p_saved, plane, lr, rng);
      else tt_conv_update_s8(&wv, s->p_saved, plane, lr, rng);
    }
    if (s->p_b) {
      tt_bias_update_params_t bv = *s->p_b;
      bv.out_c = 1;
      bv.bias = s->p_b->bias + c;
      bv.w_scale = s->p_b->w_scale + c;
      if (s->p_b->master) bv.master = s->p_b->master + c;
      tt_bias_update_s32(&bv, plane, lr, rng);
    }
  }
}
