/* tt_depthwise_update_s8: fused weight gradient + QAS update of a depthwise convolution
 * (groups == in_c == out_c, weights [C,1,kh,kw]). sel lists channels c (ascending);
 * weight[c] is updated from x_saved plane j (c = sel[j]) and dy[c]:
 *   Δ[c,ky,kx] = −(lr·s_x/s_w[c]) · Σ_{oy,ox valid} dy[c,oy,ox]·(x_j[oy·sh − pt + ky, ox·sw − pl + kx] − z_x)
 * summed oy then ox; loop and draw order j, ky, kx. Same operations and order as
 * tt_conv_update_s8 with groups == in_c (identical weights and draws). MASTER: the master
 * copy holds the updated slice only, [n_sel][kh][kw]: weight (sel[j], ky, kx) uses
 * master[(j·kh + ky)·kw + kx] (tt_conv_update_s8 would use its own [out_c][n_sel] layout). */
#include "tt_train.h"
#include "tt_conv_geometry.h"

void tt_depthwise_update_s8(const tt_conv_update_params_t *p, const int8_t *x_saved,
                            const float *dy, float lr, tt_rng_t *rng) {
  const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
  const int32_t kh = p->kh, kw = p->kw, sh = p->stride_h, sw = p->stride_w;
  const int32_t plane_in = in_h * in_w, plane_out = out_h * out_w, zp = p->x_zp;
  int32_t j, ky, kx, oy, ox;
  for (j = 0; j < p->n_sel; j++) {
    const int32_t c = p->sel ? p->sel[j] : j;
    const int8_t *xs = x_saved + j * plane_in;
    const float *dyc = dy + c * plane_out;
    const float ws = p->w_scale[c];
    const float k = ws > 0.0f ? lr * p->x_scale / ws : 0.0f;
    int32_t midx = j * kh * kw, widx = p->weight_is_slice ? midx : c * kh * kw;
    for (ky = 0; ky < kh; ky++) {
      int32_t oy0, oy1;
      tt_tap_range(ky, p->pad_t, sh, in_h, out_h, &oy0, &oy1);
      for (kx = 0; kx < kw; kx++, widx++, midx++) {
        float acc = 0.0f;
        int32_t ox0, ox1;
        tt_tap_range(kx, p->pad_l, sw, in_w, out_w, &ox0, &ox1);
        for (oy = oy0; oy < oy1; oy++) {
          const int8_t *xr = xs + (oy * sh - p->pad_t + ky) * in_w + ox0 * sw - p->pad_l + kx;
          const float *gr = dyc + oy * out_w;
          for (ox = ox0; ox < ox1; ox++, xr += sw) acc += gr[ox] * (float)(*xr - zp);
        }
        p->weight[widx] = tt_qas_step_s8(p->weight[widx], -(k * acc), p->rounding,
                                         p->master ? p->master + midx : 0, rng);
      }
    }
  }
}
