/* On-device training kernels: fp32 backward, softmax cross-entropy, activation masks and
 * quantization-aware-scaled (QAS) int8 updates (see DESIGN.md, Numerics).
 *
 * Gradients are fp32 in real units. Saved activations and weights stay int8 and are
 * converted inside the kernels: x_real = s_x·(q − z_x), w_real = s_w[o]·q_w.
 * Every loop has a fixed summation order and the runtime is built with
 * -ffp-contract=off, so the host and the Cortex-M produce bit-identical results.
 * One kernel per file in firmware/train/, named like the function. */
#ifndef TT_TRAIN_H
#define TT_TRAIN_H
#include <stdint.h>
#include "tt_kernels.h"

/* ---- deterministic helpers ------------------------------------------------------ */

/* xorshift32; state must be non-zero. */
typedef struct { uint32_t state; } tt_rng_t;
uint32_t tt_rng_next(tt_rng_t *r);
/* Uniform in [0, 1) with 24 random bits. */
float tt_rng_uniform(tt_rng_t *r);

/* Portable float math (same bits on every target, unlike libm): */
float tt_expf(float x);
float tt_logf(float x);   /* x > 0 */
float tt_cosf(float x);   /* |x| <= 8 is enough for schedules */

/* How a fractional integer update is applied (DESIGN.md: never silently truncated). */
typedef enum {
  TT_ROUND_NEAREST = 0,    /* q ← round_half_away(q + Δ) */
  TT_ROUND_STOCHASTIC = 1, /* q ← floor(q + Δ + u), u ~ U[0,1) from the seeded rng */
  TT_ROUND_MASTER = 2      /* m ← m + Δ (fp32 master copy, int units), clamped to q's range
                              (weights [-127,127], biases ±2^31) so it cannot wind up past
                              what q can follow; q ← round_half_away(m). An unset entry
                              (TT_MASTER_UNSET) starts from the current q at its first update */
} tt_rounding_t;

/* Value of a master entry not yet set: the entry starts from the current q (m = (float)q)
 * at its first update, so master arrays only need filling with it at start-up, without
 * any geometry. Any NaN works the same. */
#define TT_MASTER_UNSET (__builtin_nanf(""))

/* One QAS step on an int8 weight, used by the four weight-update kernels: q moves by
 * d = Δ (int units), rounded by `rounding`, clamped to [-127, 127]; returns the new q.
 *  NEAREST     round_half_away(q + d), evaluated exactly: d = t + f (t = trunc(d),
 *              f = d − t is exact), then the tie rule on f and the sign of q + d.
 *  STOCHASTIC  q + t + floor(f + u), u = tt_rng_uniform (f + u in fp32). The draw is
 *              taken for every updated element, before any check on d, so the stream
 *              depends only on the geometry.
 *  MASTER      m ← clamp(m + d, −127, 127) (the clamp keeps m from winding up beyond
 *              what q can follow), *master ← m, q ← round_half_away(m). A NaN *master
 *              (TT_MASTER_UNSET) is first set to (float)q. NULL master: NEAREST.
 * A NaN d changes nothing: neither q nor *master (an unset entry stays unset). */
int8_t tt_qas_step_s8(int8_t q, float d, uint8_t rounding, float *master, tt_rng_t *rng);

/* ---- loss --------------------------------------------------------------------- */

/* Logits q dequantized as scale·(q − zp); softmax cross-entropy against `label`.
 * Writes dlogits[k] = softmax_k − [k == label] (real units) and returns the loss.
 * A non-finite loss is returned as is (the caller skips the update). */
float tt_softmax_xent_s8(const int8_t *logits, uint32_t n, float scale, int32_t zp,
                         int32_t label, float *dlogits);

/* ---- activation masks and elementwise ----------------------------------------------- */

/* bits[i/8] bit (i%8) = (lo < x[i] < hi). The compiler passes lo = -129 / hi = 128 for
 * a bound the activation does not have. */
void tt_mask_from_s8(const int8_t *x, uint32_t n, int32_t lo, int32_t hi, uint8_t *bits);
/* g[i] = 0 where the bit is clear. */
void tt_mask_apply_f32(float *g, const uint8_t *bits, uint32_t n);
/* In place from the saved int8 output, without a mask buffer: g[i] = 0 unless lo < y[i] < hi. */
void tt_clamp_backward_f32(float *g, const int8_t *y, uint32_t n, int32_t lo, int32_t hi);
void tt_add_f32(float *dst, const float *src, uint32_t n);   /* dst += src */
void tt_copy_f32(float *dst, const float *src, uint32_t n);
void tt_scale_f32(float *g, uint32_t n, float s);            /* g *= s */

/* ---- backward to the input (frozen or trainable layers alike) ------------------------ */
/* `accumulate` != 0 adds into dx (the tensor has several consumers); 0 overwrites. */

typedef struct {
  uint16_t in_c, in_h, in_w;
  uint16_t out_c, out_h, out_w;
  uint8_t kh, kw, stride_h, stride_w, pad_t, pad_l;
  uint16_t groups;
  const int8_t *weight;      /* OIHW, the current int8 weights (flash or SRAM) */
  const float *w_scale;      /* [out_c] */
  /* Partial update: weights of the updated input channels in SRAM (tt_split.h); NULL if none. */
  const int8_t *weight_train;
  const uint16_t *in_slot;
  uint16_t n_train;
} tt_conv_grad_params_t;

/* dx[i,y,x] = Σ_{o in group, k} s_w[o]·q_w[o,i,k]·dy[o, (y+pad−k)/stride] (transposed conv). */
void tt_conv_backward_input_f32(const tt_conv_grad_params_t *p, const float *dy, float *dx, int accumulate);
void tt_depthwise_backward_input_f32(const tt_conv_grad_params_t *p, const float *dy, float *dx, int accumulate);
/* Depthwise, stride 1, in place: g holds dy on entry and dx on return; scratch is one
 * plane (in_h·in_w floats). */
void tt_depthwise_backward_input_inplace_f32(const tt_conv_grad_params_t *p, float *g, float *scratch);
void tt_pointwise_backward_input_f32(const tt_conv_grad_params_t *p, const float *dy, float *dx, int accumulate);

typedef struct {
  uint16_t in_features, out_features;
  const int8_t *weight;      /* [out][in] */
  const float *w_scale;      /* [out] */
  /* Partial update: weights of the updated input channels in SRAM (tt_split.h); NULL if none. */
  const int8_t *weight_train;
  const uint16_t *in_slot;
  uint16_t n_train;
} tt_fc_grad_params_t;

/* dx[k] = Σ_n s_w[n]·q_w[n,k]·dy[n] */
void tt_fc_backward_input_f32(const tt_fc_grad_params_t *p, const float *dy, float *dx, int accumulate);

/* Pools reuse tt_pool_params_t from tt_kernels.h (geometry only is read). */
/* Average: each input cell gets dy / window count (count_include_pad as in forward). */
void tt_avgpool_backward_f32(const tt_pool_params_t *p, const float *dy, float *dx, int accumulate);
void tt_global_avgpool_backward_f32(const tt_pool_params_t *p, const float *dy, float *dx, int accumulate);
/* Max: dy goes to the first maximal cell of each window of the saved int8 input. */
void tt_maxpool_backward_f32(const tt_pool_params_t *p, const int8_t *x, const float *dy, float *dx, int accumulate);

/* ---- QAS updates: gradient and update fused, one output channel at a time, so no
 * weight-gradient tensor exists ---------------------------------------------------- */

typedef struct {
  uint16_t in_c, in_h, in_w;
  uint16_t out_c, out_h, out_w;
  uint8_t kh, kw, stride_h, stride_w, pad_t, pad_l;
  uint16_t groups;
  int8_t *weight;            /* OIHW int8 in SRAM, updated in place, kept in [-127, 127] */
  const float *w_scale;      /* [out_c] */
  float x_scale;             /* the saved input's quantization */
  int32_t x_zp;
  uint16_t n_sel;            /* number of updated input channels */
  const uint16_t *sel;       /* [n_sel] ascending input-channel indices (depthwise: channels);
                                the saved input holds exactly these channels, in this order;
                                NULL means channels 0..n_sel-1 */
  float *master;             /* TT_ROUND_MASTER: fp32 master copy (int units) of the updated
                                slice only, else NULL. Entry for weight (o, sel[s], ky, kx):
                                tt_conv_update_s8       [out_c][n_sel][kh][kw]:
                                                        ((o·n_sel + s)·kh + ky)·kw + kx; entries
                                                        for (o, s) with sel[s] outside o's group
                                                        are unused (never read or written)
                                tt_depthwise_update_s8  [n_sel][kh][kw]: (s·kh + ky)·kw + kx (o = sel[s])
                                tt_pointwise_update_s8  [out_c][n_sel]: o·n_sel + s
                                Fill with TT_MASTER_UNSET at start-up: each entry starts from
                                its q at its first update. */
  uint8_t rounding;          /* tt_rounding_t */
  uint8_t weight_is_slice;   /* pointwise/depthwise: weight is the SRAM slice, laid out like master */
} tt_conv_update_params_t;

/* G_W[o,i,k] = Σ_p dy[o,p]·s_x·(x[i, p·stride + k − pad] − z_x) over valid taps, then
 * q_w[o,i,k] moves by Δ = −lr·G_W/s_w[o], rounded by p->rounding (tt_qas_step_s8),
 * clamped to [-127,127]. Only weights whose input channel is selected change. The three
 * give identical weights and draws on a geometry they share; their master layouts differ
 * (depthwise drops the out_c dimension). */
void tt_conv_update_s8(const tt_conv_update_params_t *p, const int8_t *x_saved, const float *dy, float lr, tt_rng_t *rng);
void tt_depthwise_update_s8(const tt_conv_update_params_t *p, const int8_t *x_saved, const float *dy, float lr, tt_rng_t *rng);
void tt_pointwise_update_s8(const tt_conv_update_params_t *p, const int8_t *x_saved, const float *dy, float lr, tt_rng_t *rng);

typedef struct {
  uint16_t in_features, out_features;
  int8_t *weight;            /* [out][in] in SRAM */
  const float *w_scale;
  float x_scale;
  int32_t x_zp;
  uint16_t n_sel;
  const uint16_t *sel;       /* selected input features; the saved input holds exactly these;
                                NULL means features 0..n_sel-1 */
  float *master;             /* TT_ROUND_MASTER: master copy of the updated slice only,
                                [out_features][n_sel]: weight (n, sel[s]) at n·n_sel + s
                                (TT_MASTER_UNSET until its first update); else NULL */
  uint8_t rounding;
  uint8_t weight_is_slice;   /* weight is the SRAM slice [out][n_sel] */
} tt_fc_update_params_t;

void tt_fc_update_s8(const tt_fc_update_params_t *p, const int8_t *x_saved, const float *dy, float lr, tt_rng_t *rng);

typedef struct {
  uint16_t out_c;
  uint32_t plane;            /* output elements per channel (out_h·out_w; 1 for fc) */
  int32_t *bias;             /* int32 at s_x·s_w[o], in SRAM */
  const float *w_scale;
  float x_scale;
  float *master;             /* TT_ROUND_MASTER: [out_c] (TT_MASTER_UNSET until the first
                                update: then (float)q, rounded above 2^24); else NULL */
  uint8_t rounding;
} tt_bias_update_params_t;

/* G_b[o] = Σ_p dy[o,p]; q_b[o] moves by −lr·G_b/(s_x·s_w[o]), rounded by p->rounding. */
void tt_bias_update_s32(const tt_bias_update_params_t *p, const float *dy, float lr, tt_rng_t *rng);

/* ---- channel-streamed backward through a depthwise conv or a global average pool ------ */

/* A depthwise conv D (channel multiplier 1), or a global average pool, whose input is the
 * output of a conv P with groups 1. D's input gradient is computed one channel plane at a time into `plane`, the
 * clamp of P's activation is applied to it, and each plane is consumed at once by P's
 * per-output-channel work: P's input gradient (accumulated over P's output channels, in
 * the same order as tt_conv_backward_input_f32), then P's weight and bias updates for that
 * channel. The full input gradient of D (a C x H x W fp32 tensor) never exists.
 * Results equal the unstreamed steps bit for bit, except that stochastic rounding draws
 * for P's (and Q's) weights and bias interleave per channel. */
typedef struct {
  const tt_conv_grad_params_t *dw;       /* D, the current weights (not split); NULL when the
                                            source is a global average pool: then channel c's
                                            plane is dy[c] / gap_hw everywhere */
  uint16_t gap_c;                        /* the pool's channels and input plane (dw NULL) */
  uint32_t gap_hw;
  /* Clamp of P's fused activation over D's input: a bit mask, or the int8 output with
   * lo < y < hi passing; both NULL for none. */
  const uint8_t *mask;
  const int8_t *y;
  int32_t lo, hi;
  const tt_conv_grad_params_t *p_grad;   /* P's input gradient; NULL when not needed */
  uint8_t p_grad_pointwise;              /* 1: tt_pointwise_backward_input_f32 */
  int8_t p_grad_accumulate;              /* add into dx's previous value */
  const tt_conv_update_params_t *p_w;    /* P's weight update; NULL for none */
  uint8_t p_w_pointwise;                 /* 1: tt_pointwise_update_s8 */
  const int8_t *p_saved;                 /* what P's weight update reads */
  const tt_bias_update_params_t *p_b;    /* P's bias update; NULL for none */
  /* Second level, when q_plane is set: P's input gradient is streamed too, one channel
   * plane j at a time into q_plane (D's planes are recomputed for every j), and consumed
   * by the conv Q (groups 1) before P: the clamp of Q's activation (as mask/y above), then
   * Q's weight and bias updates of output channel j. dx and p_grad_accumulate are unused;
   * p_grad is P's (not split) input gradient geometry, and P's updates run after Q's. */
  float *q_plane;
  const uint8_t *q_mask;
  const int8_t *q_y;
  int32_t q_lo, q_hi;
  const tt_conv_update_params_t *q_w;
  uint8_t q_w_pointwise;
  const int8_t *q_saved;
  const tt_bias_update_params_t *q_b;
  /* P's input recomputed instead of kept, when q_fwd is set: Q's forward (not split) runs
   * for one output channel j at a time from Q's input q_x into x_plane (P's input plane,
   * int8), which then serves Q's clamp (q_clamp: lo < x < hi passes, q_lo/q_hi) and P's
   * weight update of input channel j (p_saved unused; P not split). */
  const tt_conv_params_t *q_fwd;
  const int8_t *q_x;
  int8_t *x_plane;
  uint8_t q_clamp;
} tt_stream_params_t;

void tt_stream_backward_f32(const tt_stream_params_t *s, const float *dy, float *dx, float *plane,
                            float lr, tt_rng_t *rng);

/* Saves the selected channels of an int8 CHW tensor (plane = H·W) for a partial update. */
void tt_gather_channels_s8(const int8_t *x, uint32_t plane, const uint16_t *sel, uint16_t n_sel, int8_t *out);

#endif
