/* Runs the depthwise input gradient both ways on pseudo-random data and prints whether
 * the in-place result is bit-identical to the out-of-place one. */
#include <stdio.h>
#include <string.h>
#include "tt_train.h"

static uint32_t s = 12345u;
static uint32_t rnd(void) { s ^= s << 13; s ^= s >> 17; s ^= s << 5; return s; }

int main(void) {
  static float dy[16 * 9 * 11], dx[16 * 9 * 11], g[16 * 9 * 11], scratch[9 * 11], ws[16];
  static int8_t w[16 * 5 * 5];
  int bad = 0;
  for (int k = 3; k <= 5; k += 2) {
    tt_conv_grad_params_t p;
    memset(&p, 0, sizeof p);
    p.in_c = p.out_c = p.groups = 16; p.in_h = p.out_h = 9; p.in_w = p.out_w = 11;
    p.kh = p.kw = (uint8_t)k; p.stride_h = p.stride_w = 1; p.pad_t = p.pad_l = (uint8_t)(k / 2);
    for (int i = 0; i < 16 * k * k; i++) w[i] = (int8_t)(rnd() % 255 - 127);
    for (int i = 0; i < 16; i++) ws[i] = (float)(rnd() % 1000 + 1) * 1e-4f;
    for (int i = 0; i < 16 * 99; i++) dy[i] = g[i] = (float)((int32_t)(rnd() % 20001) - 10000) * 1e-3f;
    p.weight = w; p.w_scale = ws;
    tt_depthwise_backward_input_f32(&p, dy, dx, 0);
    tt_depthwise_backward_input_inplace_f32(&p, g, scratch);
    if (memcmp(dx, g, sizeof dx) != 0) bad++;
  }
  printf("%s\n", bad ? "DIFFERENT" : "IDENTICAL");
  return bad;
}
