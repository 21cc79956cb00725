/* Every kernel that reads split weights (tt_split.h) gives the same bytes as with the
 * whole weight array: forward (pointwise, depthwise, fc), input gradients, and updates of
 * the slice versus updates in place in the full array. Prints IDENTICAL or what differs. */
#include <stdio.h>
#include <string.h>
#include "tt_kernels.h"
#include "tt_train.h"

#define C 12
#define O 5
#define HW 12
#define NS 3
static const uint16_t sel[NS] = {1, 4, 7};
static uint32_t s = 99u;
static uint32_t rnd(void) { s ^= s << 13; s ^= s >> 17; s ^= s << 5; return s; }
static int8_t r8(void) { return (int8_t)(rnd() % 255 - 127); }

/* Split a [rows][C] matrix (or [C][k] kernels when rows == 0) by input channel. */
static void split(const int8_t *w, int rows, int k, int8_t *frozen, int8_t *train, uint16_t *slot) {
  int f = 0, t;
  for (int i = 0; i < C; i++) {
    for (t = 0; t < NS && sel[t] != i; t++) {}
    slot[i] = (uint16_t)(t < NS ? (0x8000u | (unsigned)t) : (unsigned)f++);
  }
  for (int i = 0; i < C; i++) {
    const int tr = slot[i] & 0x8000u, j = slot[i] & 0x7fff;
    if (rows == 0) memcpy((tr ? train : frozen) + j * k, w + i * k, (size_t)k);
    else for (int r = 0; r < rows; r++) *(tr ? &train[r * NS + j] : &frozen[r * (C - NS) + j]) = w[r * C + i];
  }
}

int main(void) {
  static int8_t x[C * HW], y1[C * HW], y2[C * HW], wpw[O * C], wdw[C * 9], wfc[O * C];
  static int8_t fpw[O * C], tpw[O * NS], fdw[C * 9], tdw[NS * 9], ffc[O * C], tfc[O * NS];
  static uint16_t spw[C], sdw[C], sfc[C];
  static int32_t bias[C], mult[C], shift[C];
  static float ws[C], dy[C * HW], dx1[C * HW], dx2[C * HW];
  int bad = 0;
  for (int i = 0; i < C * HW; i++) x[i] = r8();
  for (int i = 0; i < O * C; i++) { wpw[i] = r8(); wfc[i] = r8(); }
  for (int i = 0; i < C * 9; i++) wdw[i] = r8();
  for (int i = 0; i < C; i++) { bias[i] = (int32_t)(rnd() % 2001) - 1000; mult[i] = 1200000000 + (int32_t)(rnd() % 100000); shift[i] = -7; ws[i] = (float)(rnd() % 1000 + 1) * 1e-4f; }
  for (int i = 0; i < C * HW; i++) dy[i] = (float)((int32_t)(rnd() % 2001) - 1000) * 1e-3f;
  split(wpw, O, 1, fpw, tpw, spw);
  split(wdw, 0, 9, fdw, tdw, sdw);
  split(wfc, O, 1, ffc, tfc, sfc);

  tt_conv_params_t p = {0};
  p.in_c = C; p.in_h = 3; p.in_w = 4; p.out_h = 3; p.out_w = 4; p.kh = p.kw = 1; p.stride_h = p.stride_w = 1; p.groups = 1;
  p.out_c = O; p.in_zp = -3; p.out_zp = 5; p.act_min = -128; p.act_max = 127; p.bias = bias; p.multiplier = mult; p.shift = shift;
  p.weight = wpw; tt_pointwise_conv_s8(&p, x, y1);
  p.weight = fpw; p.weight_train = tpw; p.in_slot = spw; p.n_train = NS; tt_pointwise_conv_s8(&p, x, y2);
  if (memcmp(y1, y2, O * HW)) { puts("pointwise forward"); bad++; }

  tt_conv_params_t d = p;
  d.out_c = C; d.groups = C; d.kh = d.kw = 3; d.pad_t = d.pad_l = 1; d.weight_train = NULL;
  d.weight = wdw; tt_depthwise_conv_s8(&d, x, y1);
  d.weight = fdw; d.weight_train = tdw; d.in_slot = sdw; d.n_train = NS; tt_depthwise_conv_s8(&d, x, y2);
  if (memcmp(y1, y2, C * HW)) { puts("depthwise forward"); bad++; }

  tt_fc_params_t f = {0};
  f.in_features = C; f.out_features = O; f.in_zp = -3; f.out_zp = 5; f.act_min = -128; f.act_max = 127; f.bias = bias; f.multiplier = mult; f.shift = shift;
  f.weight = wfc; tt_fully_connected_s8(&f, x, y1);
  f.weight = ffc; f.weight_train = tfc; f.in_slot = sfc; f.n_train = NS; tt_fully_connected_s8(&f, x, y2);
  if (memcmp(y1, y2, O)) { puts("fc forward"); bad++; }

  tt_conv_grad_params_t g = {0};
  g.in_c = C; g.in_h = 3; g.in_w = 4; g.out_c = O; g.out_h = 3; g.out_w = 4; g.kh = g.kw = 1; g.stride_h = g.stride_w = 1; g.groups = 1; g.w_scale = ws;
  g.weight = wpw; tt_pointwise_backward_input_f32(&g, dy, dx1, 0);
  g.weight = fpw; g.weight_train = tpw; g.in_slot = spw; g.n_train = NS; tt_pointwise_backward_input_f32(&g, dy, dx2, 0);
  if (memcmp(dx1, dx2, sizeof(float) * C * HW)) { puts("pointwise backward"); bad++; }
  tt_conv_grad_params_t gd = g;
  gd.out_c = C; gd.groups = C; gd.kh = gd.kw = 3; gd.pad_t = gd.pad_l = 1; gd.weight_train = NULL;
  gd.weight = wdw; tt_depthwise_backward_input_f32(&gd, dy, dx1, 0);
  gd.weight = fdw; gd.weight_train = tdw; gd.in_slot = sdw; gd.n_train = NS; tt_depthwise_backward_input_f32(&gd, dy, dx2, 0);
  if (memcmp(dx1, dx2, sizeof(float) * C * HW)) { puts("depthwise backward"); bad++; }
  tt_fc_grad_params_t gf = {0};
  gf.in_features = C; gf.out_features = O; gf.w_scale = ws;
  gf.weight = wfc; tt_fc_backward_input_f32(&gf, dy, dx1, 0);
  gf.weight = ffc; gf.weight_train = tfc; gf.in_slot = sfc; gf.n_train = NS; tt_fc_backward_input_f32(&gf, dy, dx2, 0);
  if (memcmp(dx1, dx2, sizeof(float) * C)) { puts("fc backward"); bad++; }

  /* Updates: the slice after an update equals the selected part of the full array. */
  static int8_t xs[NS * HW];
  for (int j = 0; j < NS; j++) memcpy(xs + j * HW, x + sel[j] * HW, HW);
  for (int rounding = 0; rounding <= 1; rounding++) {
    tt_conv_update_params_t u = {0};
    u.in_c = C; u.in_h = 3; u.in_w = 4; u.out_c = O; u.out_h = 3; u.out_w = 4; u.kh = u.kw = 1; u.stride_h = u.stride_w = 1; u.groups = 1;
    u.w_scale = ws; u.x_scale = 0.02f; u.x_zp = -3; u.n_sel = NS; u.sel = sel; u.rounding = (uint8_t)rounding;
    tt_rng_t r1 = {7u}, r2 = {7u};
    u.weight = wpw; tt_pointwise_update_s8(&u, xs, dy, 50.0f, &r1);
    u.weight = tpw; u.weight_is_slice = 1; tt_pointwise_update_s8(&u, xs, dy, 50.0f, &r2);
    for (int o = 0; o < O; o++) for (int j = 0; j < NS; j++) if (wpw[o * C + sel[j]] != tpw[o * NS + j]) { printf("pointwise update %d\n", rounding); bad++; o = O; break; }
    tt_fc_update_params_t uf = {0};
    uf.in_features = C; uf.out_features = O; uf.w_scale = ws; uf.x_scale = 0.02f; uf.x_zp = -3; uf.n_sel = NS; uf.sel = sel; uf.rounding = (uint8_t)rounding;
    tt_rng_t r3 = {9u}, r4 = {9u};
    static int8_t xf[NS];
    for (int j = 0; j < NS; j++) xf[j] = x[sel[j]];
    uf.weight = wfc; tt_fc_update_s8(&uf, xf, dy, 50.0f, &r3);
    uf.weight = tfc; uf.weight_is_slice = 1; tt_fc_update_s8(&uf, xf, dy, 50.0f, &r4);
    for (int o = 0; o < O; o++) for (int j = 0; j < NS; j++) if (wfc[o * C + sel[j]] != tfc[o * NS + j]) { printf("fc update %d\n", rounding); bad++; o = O; break; }
    tt_conv_update_params_t ud = u;
    ud.out_c = C; ud.groups = C; ud.kh = ud.kw = 3; ud.pad_t = ud.pad_l = 1; ud.weight_is_slice = 0;
    tt_rng_t r5 = {5u}, r6 = {5u};
    ud.weight = wdw; tt_depthwise_update_s8(&ud, xs, dy, 50.0f, &r5);
    ud.weight = tdw; ud.weight_is_slice = 1; tt_depthwise_update_s8(&ud, xs, dy, 50.0f, &r6);
    for (int j = 0; j < NS; j++) if (memcmp(wdw + sel[j] * 9, tdw + j * 9, 9)) { printf("depthwise update %d\n", rounding); bad++; break; }
  }
  puts(bad ? "DIFFERENT" : "IDENTICAL");
  return bad;
}
