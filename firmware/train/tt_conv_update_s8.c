/* tt_conv_update_s8: fused weight gradient + QAS update for any convolution (regular,
 * grouped, depthwise with a channel multiplier), one output channel at a time, one
 * weight at a time: no weight-gradient buffer exists.
 *
 *   G[o,i,ky,kx] = s_x · Σ_{oy,ox valid} dy[o,oy,ox]·(x[i, oy·sh − pt + ky, ox·sw − pl + kx] − z_x)
 *   Δ = −(lr·s_x/s_w[o]) · Σ…   (= −lr·G/s_w[o], int units), applied by tt_qas_step_s8.
 * The sum runs oy then ox. Loop (and random draw) order: o, selected channel (sel order),
 * ky, kx. Only input channels in sel change; x_saved holds exactly those channels, plane
 * j for sel[j]. For a group g (o in [g·opg, (g+1)·opg)), the selected channels inside
 * [g·ipg, (g+1)·ipg) are updated; a group without one is untouched. sel == NULL means
 * channels 0..n_sel−1. A channel with s_w[o] <= 0 gets Δ = 0. The depthwise/pointwise
 * variants do the same operations in the same order (identical bits and draws).
 * MASTER: the master copy holds the updated slice only, [out_c][n_sel][kh][kw]: weight
 * (o, sel[s], ky, kx) uses master[((o·n_sel + s)·kh + ky)·kw + kx]; entries for (o, s)
 * with sel[s] outside o's group are never read or written. */
#include "tt_train.h"
#include "tt_conv_geometry.h"

void tt_conv_update_s8(const tt_conv_update_params_t *p, const int8_t *x_saved, const float *dy,
                       float lr, tt_rng_t *rng) {
  const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
  const int32_t kh = p->kh, kw = p->kw, sh = p->stride_h, sw = p->stride_w;
  const int32_t ipg = p->in_c / p->groups, opg = p->out_c / p->groups;
  const int32_t plane_in = in_h * in_w, plane_out = out_h * out_w, zp = p->x_zp;
  int32_t o, s, ky, kx, oy, ox;
  for (o = 0; o < p->out_c; o++) {
    const int32_t i0 = (o / opg) * ipg;
    const float *dyo = dy + o * plane_out;
    const float ws = p->w_scale[o];
    const float k = ws > 0.0f ? lr * p->x_scale / ws : 0.0f;
    for (s = 0; s < p->n_sel; s++) {
      const int32_t i = p->sel ? p->sel[s] : s;
      const int8_t *xs = x_saved + s * plane_in;
      int32_t widx, midx;
      if (i < i0 || i >= i0 + ipg) continue;
      widx = (o * ipg + (i - i0)) * kh * kw;
      midx = (o * p->n_sel + s) * kh * kw;
      for (ky = 0; ky < kh; ky++) {
        int32_t oy0, oy1;
        tt_tap_range(ky, p->pad_t, sh, in_h, out_h, &oy0, &oy1);
        for (kx = 0; kx < kw; kx++, widx++, midx++) {
          float acc = 0.0f;
          int32_t ox0, ox1;
          tt_tap_range(kx, p->pad_l, sw, in_w, out_w, &ox0, &ox1);
          for (oy = oy0; oy < oy1; oy++) {
            const int8_t *xr = xs + (oy * sh - p->pad_t + ky) * in_w + ox0 * sw - p->pad_l + kx;
            const float *gr = dyo + oy * out_w;
            for (ox = ox0; ox < ox1; ox++, xr += sw) acc += gr[ox] * (float)(*xr - zp);
          }
          p->weight[widx] = tt_qas_step_s8(p->weight[widx], -(k * acc), p->rounding,
                                           p->master ? p->master + midx : 0, rng);
        }
      }
    }
  }
}
