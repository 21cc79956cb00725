/* Test driver: reads kernel cases as whitespace-separated integers from the file argv[1],
 * runs each through the runtime and prints one line of results per case. The cases and
 * their expected results come from test/kernels.test.ts; this program only plays them.
 *
 *   rq acc mult shift zp act_min act_max        -> scaled out
 *   srdhm a b / rdbpot x exponent                -> value
 *   conv fn in_c in_h in_w out_c out_h out_w kh kw sh sw pt pl groups in_zp out_zp
 *        act_min act_max has_bias  w[] bias[] mult[] shift[] x[]   (fn 0 general,
 *        1 depthwise, 2 pointwise)                                  -> y[]
 *   fc in out in_zp out_zp act_min act_max has_bias  w[] bias[] mult[] shift[] x[] -> y[]
 *   add size zp1 zp2 zpo left_shift m1 s1 m2 s2 mo so act_min act_max alias a[] b[]
 *        (alias 0 none, 1 y=a, 2 y=b, 3 a=b=x and y separate)       -> y[]
 *   requant size in_zp out_zp mult shift act_min act_max inplace x[] -> y[]
 *   avgpool|maxpool|gap c in_h in_w out_h out_w kh kw sh sw pt pl cip in_zp out_zp
 *        mult shift act_min act_max x[]                               -> y[]
 *
 * Inputs live in exact-size heap blocks (so a sanitizer build catches stray reads);
 * outputs are surrounded by guard bytes that must survive. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tt_kernels.h"

#define GUARD 16
#define GUARD_BYTE 0x5A

static FILE *in;

static long rd(void) {
  long v;
  if (fscanf(in, "%ld", &v) != 1) {
    fprintf(stderr, "driver: malformed input\n");
    exit(2);
  }
  return v;
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) exit(3);
  return p;
}

static int8_t *rd_s8(size_t n) {
  int8_t *p = xmalloc(n);
  size_t i;
  for (i = 0; i < n; i++) p[i] = (int8_t)rd();
  return p;
}

static int32_t *rd_s32(size_t n) {
  int32_t *p = xmalloc(n * sizeof *p);
  size_t i;
  for (i = 0; i < n; i++) p[i] = (int32_t)rd();
  return p;
}

/* Output block with guards; returns the usable pointer. */
static int8_t *out_alloc(size_t n) {
  uint8_t *p = xmalloc(n + 2 * GUARD);
  memset(p, GUARD_BYTE, n + 2 * GUARD);
  return (int8_t *)(p + GUARD);
}

static void out_finish(int8_t *y, size_t n) {
  uint8_t *p = (uint8_t *)y - GUARD;
  size_t i;
  for (i = 0; i < GUARD; i++)
    if (p[i] != GUARD_BYTE || p[GUARD + n + i] != GUARD_BYTE) {
      printf("GUARD\n");
      free(p);
      return;
    }
  for (i = 0; i < n; i++) printf(i ? " %d" : "%d", y[i]);
  printf("\n");
  free(p);
}

static void run_conv(void) {
  tt_conv_params_t p = {0};
  int fn = (int)rd();
  int has_bias;
  size_t wn, xn, yn;
  int8_t *w, *x, *y;
  int32_t *b = NULL, *m, *s;
  p.in_c = (uint16_t)rd(); p.in_h = (uint16_t)rd(); p.in_w = (uint16_t)rd();
  p.out_c = (uint16_t)rd(); p.out_h = (uint16_t)rd(); p.out_w = (uint16_t)rd();
  p.kh = (uint8_t)rd(); p.kw = (uint8_t)rd(); p.stride_h = (uint8_t)rd(); p.stride_w = (uint8_t)rd();
  p.pad_t = (uint8_t)rd(); p.pad_l = (uint8_t)rd(); p.groups = (uint16_t)rd();
  p.in_zp = (int32_t)rd(); p.out_zp = (int32_t)rd(); p.act_min = (int32_t)rd(); p.act_max = (int32_t)rd();
  has_bias = (int)rd();
  wn = (size_t)p.out_c * (p.in_c / p.groups) * p.kh * p.kw;
  xn = (size_t)p.in_c * p.in_h * p.in_w;
  yn = (size_t)p.out_c * p.out_h * p.out_w;
  w = rd_s8(wn);
  if (has_bias) b = rd_s32(p.out_c);
  m = rd_s32(p.out_c);
  s = rd_s32(p.out_c);
  x = rd_s8(xn);
  p.weight = w; p.bias = b; p.multiplier = m; p.shift = s;
  y = out_alloc(yn);
  /* The general conv gets its im2col scratch in an exact-size block, as the planner sizes it. */
  if (fn == 0) p.im2col = xmalloc(TT_IM2COL_BYTES((size_t)(p.in_c / p.groups) * p.kh * p.kw));
  if (fn == 0) tt_conv_s8(&p, x, y);
  else if (fn == 1) tt_depthwise_conv_s8(&p, x, y);
  else tt_pointwise_conv_s8(&p, x, y);
  out_finish(y, yn);
  free(w); free(b); free(m); free(s); free(x); free(p.im2col);
}

static void run_fc(void) {
  tt_fc_params_t p = {0};
  int has_bias;
  int8_t *w, *x, *y;
  int32_t *b = NULL, *m, *s;
  p.in_features = (uint16_t)rd(); p.out_features = (uint16_t)rd();
  p.in_zp = (int32_t)rd(); p.out_zp = (int32_t)rd(); p.act_min = (int32_t)rd(); p.act_max = (int32_t)rd();
  has_bias = (int)rd();
  w = rd_s8((size_t)p.in_features * p.out_features);
  if (has_bias) b = rd_s32(p.out_features);
  m = rd_s32(p.out_features);
  s = rd_s32(p.out_features);
  x = rd_s8(p.in_features);
  p.weight = w; p.bias = b; p.multiplier = m; p.shift = s;
  y = out_alloc(p.out_features);
  tt_fully_connected_s8(&p, x, y);
  out_finish(y, p.out_features);
  free(w); free(b); free(m); free(s); free(x);
}

static void run_add(void) {
  tt_add_params_t p;
  int alias;
  int8_t *a, *b, *y;
  p.size = (uint32_t)rd();
  p.in1_zp = (int32_t)rd(); p.in2_zp = (int32_t)rd(); p.out_zp = (int32_t)rd();
  p.left_shift = (int32_t)rd();
  p.in1_multiplier = (int32_t)rd(); p.in1_shift = (int32_t)rd();
  p.in2_multiplier = (int32_t)rd(); p.in2_shift = (int32_t)rd();
  p.out_multiplier = (int32_t)rd(); p.out_shift = (int32_t)rd();
  p.act_min = (int32_t)rd(); p.act_max = (int32_t)rd();
  alias = (int)rd();
  a = rd_s8(p.size);
  b = rd_s8(p.size);
  y = out_alloc(p.size);
  if (alias == 1) { memcpy(y, a, p.size); tt_add_s8(&p, y, b, y); }
  else if (alias == 2) { memcpy(y, b, p.size); tt_add_s8(&p, a, y, y); }
  else if (alias == 3) tt_add_s8(&p, a, a, y);
  else tt_add_s8(&p, a, b, y);
  out_finish(y, p.size);
  free(a); free(b);
}

static void run_requant(void) {
  tt_requant_params_t p;
  int inplace;
  int8_t *x, *y;
  p.size = (uint32_t)rd();
  p.in_zp = (int32_t)rd(); p.out_zp = (int32_t)rd();
  p.multiplier = (int32_t)rd(); p.shift = (int32_t)rd();
  p.act_min = (int32_t)rd(); p.act_max = (int32_t)rd();
  inplace = (int)rd();
  x = rd_s8(p.size);
  y = out_alloc(p.size);
  if (inplace) { memcpy(y, x, p.size); tt_requant_s8(&p, y, y); }
  else tt_requant_s8(&p, x, y);
  out_finish(y, p.size);
  free(x);
}

static void run_pool(const char *op) {
  tt_pool_params_t p;
  size_t xn, yn;
  int8_t *x, *y;
  p.c = (uint16_t)rd(); p.in_h = (uint16_t)rd(); p.in_w = (uint16_t)rd();
  p.out_h = (uint16_t)rd(); p.out_w = (uint16_t)rd();
  p.kh = (uint8_t)rd(); p.kw = (uint8_t)rd(); p.stride_h = (uint8_t)rd(); p.stride_w = (uint8_t)rd();
  p.pad_t = (uint8_t)rd(); p.pad_l = (uint8_t)rd(); p.count_include_pad = (uint8_t)rd();
  p.in_zp = (int32_t)rd(); p.out_zp = (int32_t)rd();
  p.multiplier = (int32_t)rd(); p.shift = (int32_t)rd();
  p.act_min = (int32_t)rd(); p.act_max = (int32_t)rd();
  xn = (size_t)p.c * p.in_h * p.in_w;
  yn = (size_t)p.c * p.out_h * p.out_w;
  x = rd_s8(xn);
  y = out_alloc(yn);
  if (strcmp(op, "avgpool") == 0) tt_avgpool_s8(&p, x, y);
  else if (strcmp(op, "maxpool") == 0) tt_maxpool_s8(&p, x, y);
  else tt_global_avgpool_s8(&p, x, y);
  out_finish(y, yn);
  free(x);
}

int main(int argc, char **argv) {
  char op[16];
  if (argc != 2 || !(in = fopen(argv[1], "r"))) {
    fprintf(stderr, "usage: kernel_driver CASES\n");
    return 2;
  }
  while (fscanf(in, "%15s", op) == 1) {
    if (strcmp(op, "rq") == 0) {
      const int32_t acc = (int32_t)rd(), m = (int32_t)rd(), s = (int32_t)rd();
      const int32_t zp = (int32_t)rd(), lo = (int32_t)rd(), hi = (int32_t)rd();
      const int32_t v = tt_requantize(acc, m, s);
      /* The anchors' definition, evaluated in 64 bits so zp + v cannot overflow. */
      const long long o = (long long)zp + v;
      printf("%ld %lld\n", (long)v, o < lo ? (long long)lo : (o > hi ? (long long)hi : o));
    } else if (strcmp(op, "srdhm") == 0) {
      const int32_t a = (int32_t)rd(), b = (int32_t)rd();
      printf("%ld\n", (long)tt_srdhm(a, b));
    } else if (strcmp(op, "rdbpot") == 0) {
      const int32_t v = (int32_t)rd(), e = (int32_t)rd();
      printf("%ld\n", (long)tt_rdbpot(v, e));
    } else if (strcmp(op, "conv") == 0) run_conv();
    else if (strcmp(op, "fc") == 0) run_fc();
    else if (strcmp(op, "add") == 0) run_add();
    else if (strcmp(op, "requant") == 0) run_requant();
    else if (strcmp(op, "avgpool") == 0 || strcmp(op, "maxpool") == 0 || strcmp(op, "gap") == 0)
      run_pool(op);
    else {
      fprintf(stderr, "driver: unknown op %s\n", op);
      return 2;
    }
  }
  fclose(in);
  return 0;
}
