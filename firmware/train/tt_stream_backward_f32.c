/* tt_stream_backward_f32: backward through a depthwise conv D (or a global average pool)
 * and the conv P before it, one channel c of D's input at a time (see tt_train.h). Each call below is an existing kernel
 * on a one-channel view of its parameters:
 *   plane  = D's input gradient for channel c       (depthwise, in_c = out_c = 1)
 *   plane *= clamp of P's activation on channel c
 *   dx    += P's input gradient from output channel c (out_c = 1; the first channel
 *            overwrites unless accumulating): every dx element sums its terms in
 *            (o, ky, kx) order, as the whole-tensor kernel does
 *   P's weights and bias of output channel c move by their QAS step.
 * P's input gradient uses its weights before their update, as the unstreamed steps do. */
#include "tt_train.h"
#include "tt_simd.h"

/* The clamp of a fused activation on channel c's plane: from bits c·n on, or the int8
 * output (lo < y < hi passes); nothing when both are NULL. */
static void clamp_plane(const uint8_t *mask, const int8_t *y, int32_t lo, int32_t hi, uint32_t c, float *pl,
                        uint32_t n) {
  const uint32_t bit0 = c * n;
  uint32_t i;
  if (mask) {
    if (!(bit0 & 7u)) {
      tt_mask_apply_f32(pl, mask + (bit0 >> 3), n);
    } else {
      for (i = 0; i < n; i++) {
        const uint32_t b = bit0 + i;
        if (!((mask[b >> 3] >> (b & 7)) & 1u)) pl[i] = 0.0f;
      }
    }
  } else if (y) {
    tt_clamp_backward_f32(pl, y + c * n, n, lo, hi);
  }
}

/* Channels and plane size of the source's input (P's output). */
static uint32_t src_channels(const tt_stream_params_t *s) { return s->dw ? s->dw->in_c : s->gap_c; }
static uint32_t src_plane(const tt_stream_params_t *s) {
  return s->dw ? (uint32_t)s->dw->in_h * s->dw->in_w : s->gap_hw;
}

/* The source's input gradient for channel c into plane (D's, or the pool's: dy[c]/hw
 * everywhere, as tt_global_avgpool_backward_f32 computes it), then the clamp of P's
 * activation. */
static void dw_plane(const tt_stream_params_t *s, const float *dy, uint32_t c, float *plane) {
  const tt_conv_grad_params_t *d = s->dw;
  const uint32_t in_plane = src_plane(s);
  if (d) {
    const uint32_t out_plane = (uint32_t)d->out_h * d->out_w;
    tt_conv_grad_params_t dv = *d;
    dv.in_c = dv.out_c = dv.groups = 1;
    dv.weight = d->weight + c * (uint32_t)d->kh * d->kw;
    dv.w_scale = d->w_scale + c;
    tt_depthwise_backward_input_f32(&dv, dy + c * out_plane, plane, 0);
  } else {
    const float g = dy[c] / (float)s->gap_hw;
    uint32_t i;
    for (i = 0; i < in_plane; i++) plane[i] = g;
  }
  clamp_plane(s->mask, s->y, s->lo, s->hi, c, plane, in_plane);
}

/* Output channel c of a conv: its weights (tt_conv/pointwise_update_s8 on the one-channel
 * view; w may be NULL) and then its bias (b may be NULL) move by their QAS step. */
static void row_update(const tt_conv_update_params_t *w, uint8_t w_pointwise, const int8_t *saved,
                       const tt_bias_update_params_t *b, uint32_t c, const float *plane, float lr, tt_rng_t *rng) {
  if (w) {
    tt_conv_update_params_t wv = *w;
    const uint32_t k = (uint32_t)w->kh * w->kw;
    wv.out_c = 1;
    wv.w_scale = w->w_scale + c;
    wv.weight = w->weight + c * (w->weight_is_slice ? w->n_sel : (uint32_t)w->in_c) * k;
    if (w->master) wv.master = w->master + c * w->n_sel * k;
    if (w_pointwise) tt_pointwise_update_s8(&wv, saved, plane, lr, rng);
    else tt_conv_update_s8(&wv, saved, plane, lr, rng);
  }
  if (b) {
    tt_bias_update_params_t bv = *b;
    bv.out_c = 1;
    bv.bias = b->bias + c;
    bv.w_scale = b->w_scale + c;
    if (b->master) bv.master = b->master + c;
    tt_bias_update_s32(&bv, plane, lr, rng);
  }
}

/* P's input-gradient parameters restricted to its output channels [c0, c0 + n): the weight
 * rows of those channels, in flash and, for a split layer, in its SRAM slice. */
static tt_conv_grad_params_t p_grad_rows(const tt_conv_grad_params_t *g, uint32_t c0, uint32_t n) {
  tt_conv_grad_params_t gv = *g;
  const uint32_t ipg = g->in_c, k = (uint32_t)g->kh * g->kw;
  gv.out_c = (uint16_t)n;
  gv.w_scale = g->w_scale + c0;
  if (g->weight_train) {
    gv.weight = g->weight + c0 * (ipg - g->n_train) * k;
    gv.weight_train = g->weight_train + c0 * g->n_train * k;
  } else {
    gv.weight = g->weight + c0 * ipg * k;
  }
  return gv;
}

/* The portable loop; noinline keeps its code (and speed) as before the optimized path. */
static __attribute__((noinline)) void stream_portable(const tt_stream_params_t *s, const float *dy, float *dx,
                                                      float *plane, float lr, tt_rng_t *rng) {
  uint32_t c;
  for (c = 0; c < src_channels(s); c++) {
    dw_plane(s, dy, c, plane);
    if (s->p_grad) {
      const tt_conv_grad_params_t gv = p_grad_rows(s->p_grad, c, 1);
      if (s->p_grad_pointwise) tt_pointwise_backward_input_f32(&gv, plane, dx, c > 0 || s->p_grad_accumulate);
      else tt_conv_backward_input_f32(&gv, plane, dx, c > 0 || s->p_grad_accumulate);
    }
    row_update(s->p_w, s->p_w_pointwise, s->p_saved, s->p_b, c, plane, lr, rng);
  }
}

/* Channel j of P's input, Q's output, computed again into x_plane: Q's forward on a
 * one-output-channel view (the general path: im2col scratch is not live here). Integer and
 * exact, so it equals what the forward pass wrote while Q's row j is not yet updated. */
static void recompute_x(const tt_stream_params_t *s, uint32_t j) {
  const tt_conv_params_t *f = s->q_fwd;
  tt_conv_params_t v;
  /* Field by field: a whole-struct copy of this size becomes a memcpy call. */
  v.in_c = f->in_c, v.in_h = f->in_h, v.in_w = f->in_w;
  v.out_c = 1, v.out_h = f->out_h, v.out_w = f->out_w;
  v.kh = f->kh, v.kw = f->kw, v.stride_h = f->stride_h, v.stride_w = f->stride_w;
  v.pad_t = f->pad_t, v.pad_l = f->pad_l, v.groups = f->groups;
  v.in_zp = f->in_zp, v.out_zp = f->out_zp, v.act_min = f->act_min, v.act_max = f->act_max;
  v.weight = f->weight + j * (uint32_t)(f->in_c / f->groups) * f->kh * f->kw;
  v.bias = f->bias ? f->bias + j : 0;
  v.multiplier = f->multiplier + j;
  v.shift = f->shift + j;
  v.weight_train = 0, v.in_slot = 0, v.n_train = 0;   /* Q is not split */
  v.im2col = 0;
  tt_conv_s8(&v, s->q_x, s->x_plane);
}

/* P's weights (row c, input channel j, when j is selected) and, at j = 0, P's bias c move
 * by their QAS step: the input channel j is x_plane. */
static void p_update_fused(const tt_stream_params_t *s, uint32_t c, uint32_t j, const float *plane, float lr,
                           tt_rng_t *rng) {
  const tt_conv_update_params_t *w = s->p_w;
  if (w) {
    uint32_t t = 0;
    while (t < w->n_sel && (w->sel ? w->sel[t] : t) != j) t++;
    if (t < w->n_sel) {
      const uint32_t kk = (uint32_t)w->kh * w->kw;
      const uint16_t one = (uint16_t)j;
      tt_conv_update_params_t wv = *w;
      wv.out_c = 1;
      wv.w_scale = w->w_scale + c;
      wv.weight = w->weight + c * (uint32_t)w->in_c * kk;
      wv.n_sel = 1;
      wv.sel = &one;
      if (w->master) wv.master = w->master + (c * w->n_sel + t) * kk;
      tt_conv_update_s8(&wv, s->x_plane, plane, lr, rng);
    }
  }
  if (j == 0) row_update(0, 0, 0, s->p_b, c, plane, lr, rng);
}

/* Two levels: P's input gradient one channel j at a time into q_plane, each D plane
 * recomputed for every j (D's backward is cheap next to P's), so neither D's nor P's input
 * gradient is ever whole. Element (j, px) of P's input gradient sums its terms in (c, ky,
 * kx) order, as tt_conv_backward_input_f32 does on the whole tensor. Then the clamp of Q's
 * activation, and Q's weights and bias of channel j move. P's own updates come last, in a
 * final pass, so every j reads P's weights before their update; or, with q_fwd, P's input
 * is not kept at all: its channel j is recomputed at the start of pass j, and P's weights
 * of input channel j move in pass j, each right after pass j has read it. */
static void stream_two_level(const tt_stream_params_t *s, const float *dy, float *plane, float lr,
                             tt_rng_t *rng) {
  const tt_conv_grad_params_t *g = s->p_grad;
  const uint32_t k = (uint32_t)g->kh * g->kw, n_q = (uint32_t)g->in_h * g->in_w;
  tt_conv_grad_params_t gv = *g;
  uint32_t c, j;
  gv.in_c = gv.out_c = 1;
  for (j = 0; j < g->in_c; j++) {
    if (s->q_fwd) recompute_x(s, j);
    for (c = 0; c < src_channels(s); c++) {
      dw_plane(s, dy, c, plane);
      gv.weight = g->weight + (c * g->in_c + j) * k;
      gv.w_scale = g->w_scale + c;
      tt_conv_backward_input_f32(&gv, plane, s->q_plane, c > 0);
      if (s->q_fwd) p_update_fused(s, c, j, plane, lr, rng);
    }
    if (s->q_fwd) {
      if (s->q_clamp) tt_clamp_backward_f32(s->q_plane, s->x_plane, n_q, s->q_lo, s->q_hi);
    } else {
      clamp_plane(s->q_mask, s->q_y, s->q_lo, s->q_hi, j, s->q_plane, n_q);
    }
    row_update(s->q_w, s->q_w_pointwise, s->q_saved, s->q_b, j, s->q_plane, lr, rng);
  }
  if (!s->q_fwd && (s->p_w || s->p_b))
    for (c = 0; c < src_channels(s); c++) {
      dw_plane(s, dy, c, plane);
      row_update(s->p_w, s->p_w_pointwise, s->p_saved, s->p_b, c, plane, lr, rng);
    }
}

#if TT_DSP
/* Several channels at a time. The planes of n consecutive channels are computed into a
 * stack buffer, so P's input gradient takes them in one pointwise call with out_c = n
 * (each dx element still adds its terms in channel order, after the same start value),
 * and P's pointwise weight gradients of the n channels share the int8 -> float
 * conversions of the saved input. The updates then run channel by channel in the
 * portable order (weights of c in sel order, then the bias of c), so the stochastic draws
 * are the same. Batching is safe: channel c's update only changes P's row c, which P's
 * input gradient has already read, and nothing else reads what an update writes. */
#define ST_BUF 256                 /* floats of channel planes on the stack */
#define ST_SUMS 96                 /* weight-gradient sums of a batch on the stack */
#define ST_MAXC 8                  /* channels per batch */
#define TT_DOTS_NO 4               /* channels x selected channels per register block of the dots */
#define TT_DOTS_NJ 6
#include "tt_train_dots.h"

/* The source's input gradient of channels [c0, c0 + n) into planes, then P's clamp. */
static __attribute__((noinline)) void batch_planes(const tt_stream_params_t *s, const float *dy, uint32_t c0,
                                                   uint32_t n, float *planes) {
  const tt_conv_grad_params_t *d = s->dw;
  const uint32_t in_plane = src_plane(s);
  uint32_t k;
  if (!d) {
    for (k = 0; k < n; k++) dw_plane(s, dy, c0 + k, planes + k * in_plane);
    return;
  }
  {
    const uint32_t out_plane = (uint32_t)d->out_h * d->out_w, ksize = (uint32_t)d->kh * d->kw;
    tt_conv_grad_params_t dv = *d;
    dv.in_c = dv.out_c = dv.groups = (uint16_t)n;
    dv.weight = d->weight + c0 * ksize;
    dv.w_scale = d->w_scale + c0;
    tt_depthwise_backward_input_f32(&dv, dy + c0 * out_plane, planes, 0);
    for (k = 0; k < n; k++) clamp_plane(s->mask, s->y, s->lo, s->hi, c0 + k, planes + k * in_plane, in_plane);
  }
}

/* dx += P's input gradient from output channels [c0, c0 + n) (the first overwrites unless
 * accumulating): a pointwise P in one call, a general one channel by channel. */
static __attribute__((noinline)) void batch_grad(const tt_stream_params_t *s, uint32_t c0, uint32_t n,
                                                 const float *planes, uint32_t in_plane, float *dx) {
  const tt_conv_grad_params_t *gp = s->p_grad;
  uint32_t k;
  if (s->p_grad_pointwise) {
    const tt_conv_grad_params_t gv = p_grad_rows(gp, c0, n);
    tt_pointwise_backward_input_f32(&gv, planes, dx, c0 > 0 || s->p_grad_accumulate);
  } else {
    for (k = 0; k < n; k++) {
      const uint32_t c = c0 + k;
      const tt_conv_grad_params_t gv = p_grad_rows(gp, c, 1);
      tt_conv_backward_input_f32(&gv, planes + k * in_plane, dx, c > 0 || s->p_grad_accumulate);
    }
  }
}

/* P's weight (from the sums g when pointwise) and bias updates of channel c. */
static __attribute__((noinline)) void channel_update(const tt_stream_params_t *s, uint32_t c,
                                                     const float *plane, const float *g, float lr,
                                                     tt_rng_t *rng) {
  const tt_conv_update_params_t *w = s->p_w;
  uint32_t j;
  if (w && g) {
    /* tt_pointwise_update_s8 on the one-channel view, from the sums in g. */
    const uint32_t kk = (uint32_t)w->kh * w->kw;
    int8_t *wc = w->weight + c * (w->weight_is_slice ? w->n_sel : (uint32_t)w->in_c) * kk;
    float *mc = w->master ? w->master + c * w->n_sel * kk : 0;
    const float ws = w->w_scale[c];
    const float kf = ws > 0.0f ? lr * w->x_scale / ws : 0.0f;
    if (w->rounding == TT_ROUND_STOCHASTIC) {
      uint32_t st = rng->state;
      for (j = 0; j < w->n_sel; j++) {
        const uint32_t widx = w->weight_is_slice ? j : (w->sel ? w->sel[j] : j);
        wc[widx] = tt_qas_stochastic(wc[widx], -(kf * g[j]), &st);
      }
      rng->state = st;
    } else {
      for (j = 0; j < w->n_sel; j++) {
        const uint32_t widx = w->weight_is_slice ? j : (w->sel ? w->sel[j] : j);
        wc[widx] = tt_qas_step_s8(wc[widx], -(kf * g[j]), w->rounding, mc ? mc + j : 0, rng);
      }
    }
  }
  row_update(g ? 0 : w, s->p_w_pointwise, s->p_saved, s->p_b, c, plane, lr, rng);
}

/* 0 if the geometry is not covered (nothing done). */
static int stream_dsp(const tt_stream_params_t *s, const float *dy, float *dx, float lr, tt_rng_t *rng) {
  const uint32_t in_plane = src_plane(s), n_c = src_channels(s);
  const tt_conv_update_params_t *w = s->p_w;
  /* P's pointwise weight gradient from the batched sums when one channel's fit in g (else
   * tt_pointwise_update_s8 per channel, as the portable loop does). */
  const int w_dots = w && s->p_w_pointwise && w->n_sel > 0 && w->n_sel <= ST_SUMS;
  float planes[ST_BUF], g[ST_SUMS];
  uint32_t nc, c0, k;
  if (in_plane == 0 || in_plane > ST_BUF) return 0;
  nc = ST_BUF / in_plane;
  if (nc > ST_MAXC) nc = ST_MAXC;
  if (w_dots && nc * w->n_sel > ST_SUMS) nc = ST_SUMS / w->n_sel;
  for (c0 = 0; c0 < n_c; c0 += nc) {
    const uint32_t n = n_c - c0 < nc ? n_c - c0 : nc;
    batch_planes(s, dy, c0, n, planes);
    if (s->p_grad) batch_grad(s, c0, n, planes, in_plane, dx);
    if (w_dots) tt_dots(planes, (int32_t)n, s->p_saved, w->n_sel, (int32_t)in_plane, w->x_zp, g);
    for (k = 0; k < n; k++)
      channel_update(s, c0 + k, planes + k * in_plane, w_dots ? g + k * w->n_sel : 0, lr, rng);
  }
  return 1;
}
#endif

void tt_stream_backward_f32(const tt_stream_params_t *s, const float *dy, float *dx, float *plane,
                            float lr, tt_rng_t *rng) {
  if (s->q_plane) {
    stream_two_level(s, dy, plane, lr, rng);
    return;
  }
#if TT_DSP
  if (stream_dsp(s, dy, dx, lr, rng)) return;
#endif
  stream_portable(s, dy, dx, plane, lr, rng);
}
