/* int8 forward kernels of the tinytrain runtime. C99, no malloc, no dependencies.
 *
 * Layout contract (same as src/ir/graph.ts): activations are CHW int8 (batch 1),
 * conv weights OIHW int8 (depthwise [C,1,kh,kw]), fully connected weights [N,K].
 * Per-output-channel requantization (multiplier[o], shift[o]); bias int32 at s_x·s_w[o].
 * The fused activation is the output clamp [act_min, act_max].
 * One kernel per file in firmware/kernels/, named like the function. */
#ifndef TT_KERNELS_H
#define TT_KERNELS_H
#include <stdint.h>
#include "tt_fixedpoint.h"

typedef struct {
  uint16_t in_c, in_h, in_w;
  uint16_t out_c, out_h, out_w;
  uint8_t kh, kw, stride_h, stride_w, pad_t, pad_l; /* bottom/right padding follows from out_h/out_w */
  uint16_t groups;                                  /* 1 regular, in_c == out_c == groups depthwise */
  int32_t in_zp, out_zp, act_min, act_max;
  const int8_t *weight;                             /* OIHW: [out_c][in_c/groups][kh][kw] */
  const int32_t *bias;                              /* [out_c], may be NULL */
  const int32_t *multiplier;                        /* [out_c] */
  const int32_t *shift;                             /* [out_c] */
  /* Partial update: weights of the updated input channels in SRAM (tt_split.h); NULL if none. */
  const int8_t *weight_train;
  const uint16_t *in_slot;
  uint16_t n_train;
  /* Optimized regular conv (tt_conv_s8 with TT_DSP): arena scratch the planner reserves for
   * two im2col columns, TT_IM2COL_BYTES(in_c/groups·kh·kw) bytes, 4-byte aligned; NULL if
   * the path is not used (then the kernel needs no scratch). */
  int16_t *im2col;
} tt_conv_params_t;

/* Bytes of tt_conv_params_t.im2col for k = in_c/groups·kh·kw taps per column. */
#define TT_IM2COL_BYTES(k) (2u * 2u * (((uint32_t)(k) + 1u) & ~1u))

/* Any conv: regular, grouped or depthwise (general path). */
void tt_conv_s8(const tt_conv_params_t *p, const int8_t *x, int8_t *y);
/* Depthwise conv (groups == in_c == out_c); same params. */
void tt_depthwise_conv_s8(const tt_conv_params_t *p, const int8_t *x, int8_t *y);
/* 1x1, stride 1, no padding, groups 1: a matrix product W[O,I] · X[I,HW]. */
void tt_pointwise_conv_s8(const tt_conv_params_t *p, const int8_t *x, int8_t *y);

typedef struct {
  uint16_t in_features, out_features;
  int32_t in_zp, out_zp, act_min, act_max;
  const int8_t *weight;                             /* [out][in] */
  const int32_t *bias;                              /* [out], may be NULL */
  const int32_t *multiplier;                        /* [out] */
  const int32_t *shift;                             /* [out] */
  /* Partial update: weights of the updated input channels in SRAM (tt_split.h); NULL if none. */
  const int8_t *weight_train;
  const uint16_t *in_slot;
  uint16_t n_train;
} tt_fc_params_t;

void tt_fully_connected_s8(const tt_fc_params_t *p, const int8_t *x, int8_t *y);

typedef struct {
  uint32_t size;                                    /* elements */
  int32_t in1_zp, in2_zp, out_zp;
  int32_t left_shift;                               /* 20, as TFLite */
  int32_t in1_multiplier, in1_shift, in2_multiplier, in2_shift;
  int32_t out_multiplier, out_shift;
  int32_t act_min, act_max;
} tt_add_params_t;

/* y may alias a or b (in-place residual add). */
void tt_add_s8(const tt_add_params_t *p, const int8_t *a, const int8_t *b, int8_t *y);

typedef struct {
  uint32_t size;
  int32_t in_zp, out_zp, multiplier, shift, act_min, act_max;
} tt_requant_params_t;

/* y = clamp(out_zp + requant(x − in_zp)); y may alias x. Standalone Relu/Clip. */
void tt_requant_s8(const tt_requant_params_t *p, const int8_t *x, int8_t *y);

typedef struct {
  uint16_t c, in_h, in_w, out_h, out_w;
  uint8_t kh, kw, stride_h, stride_w, pad_t, pad_l;
  uint8_t count_include_pad;                        /* avg pool only */
  int32_t in_zp, out_zp;
  int32_t multiplier, shift;                        /* avg: s_in/(s_out·kh·kw) */
  int32_t act_min, act_max;
} tt_pool_params_t;

void tt_avgpool_s8(const tt_pool_params_t *p, const int8_t *x, int8_t *y);
void tt_maxpool_s8(const tt_pool_params_t *p, const int8_t *x, int8_t *y);
/* Global average over H·W per channel: kh = in_h, kw = in_w, out 1x1. */
void tt_global_avgpool_s8(const tt_pool_params_t *p, const int8_t *x, int8_t *y);

/* Tiled execution: copy the region [y0, y0+h) x [x0, x0+w) of every channel of a CHW tensor
 * (c x src_h x src_w) into a contiguous c x h x w tile, and back. */
void tt_copy_region_s8(const int8_t *src, uint16_t c, uint16_t src_h, uint16_t src_w,
                       uint16_t y0, uint16_t x0, uint16_t h, uint16_t w, int8_t *dst);
void tt_place_region_s8(const int8_t *tile, uint16_t c, uint16_t h, uint16_t w,
                        int8_t *dst, uint16_t dst_h, uint16_t dst_w, uint16_t y0, uint16_t x0);

#endif
