/* Test driver for the training kernels (firmware/train). Reads commands, one per line, as
 * whitespace-separated tokens from the file argv[1], runs each through the runtime and
 * prints one line of results per command. The cases and their expected results come
 * from test/train-kernels.test.ts; this program only plays them. Floats are read with
 * strtof and printed with %.9g (exact round trip); "GUARD" replaces a result whose
 * kernel wrote outside its output buffer.
 *
 *   xent n scale zp label logits[n]                          -> loss dlogits[n]
 *   mask n lo hi x[n]                                        -> bits[(n+7)/8]
 *   maskapply n bits[(n+7)/8] g[n]                           -> g[n]
 *   clampbw n lo hi y[n] g[n]                                -> g[n]
 *   ew op n dst[n] src[n] s      (op 0 add, 1 copy, 2 scale) -> dst[n]
 *   gather plane n_ch n_sel sel[n_sel] x[n_ch*plane]         -> out[n_sel*plane]
 *   convbw fn in_c in_h in_w out_c out_h out_w kh kw sh sw pt pl groups acc
 *          w[] w_scale[out_c] dy[] dx0[]  (fn 0 general, 1 depthwise, 2 pointwise) -> dx[]
 *   convbws fn <geometry> acc n_train slot[in_c] wf[] wt[] w_scale[out_c] dy[] dx0[]
 *          split weights (fn 1 depthwise: wf [in_c-n_train][kh][kw], wt [n_train][kh][kw];
 *          fn 2 pointwise: wf [out_c][in_c-n_train], wt [out_c][n_train]) -> dx[]
 *   dwinplace <geometry> w[] w_scale[] g[]                   -> g[] (in-place depthwise)
 *   stream <D geometry> wd[] wd_scale[C] dy[]
 *          masktype (0 none, 1 bits[], 2 lo hi y[])   over C x D's input plane
 *          <P geometry> n_train [slot[P.in_c]] wf[] [wt[]] wp_scale[C]
 *          has_pgrad [pointwise acc dx0[]]
 *          has_pw [pointwise x_scale x_zp rounding has_sel n_sel sel[] has_master
 *                  [n_master master[]] x_saved[n_sel*P plane]]
 *          has_pb [x_scale rounding bias[C] has_master [master[C]]] seed lr
 *          (P's weights are shared by its gradient and its update as in the generated
 *          code: the slice wt when split, else wf)
 *                                  -> [dx[]] wf[] [wt[]] [master[]] [bias[] [bmaster[]]] rng_state
 *   fcbw in out acc w[] w_scale[out] dy[out] dx0[in]         -> dx[in]
 *   poolbw kind c in_h in_w out_h out_w kh kw sh sw pt pl cip acc [x[] if max] dy[] dx0[]
 *          (kind 0 avg, 1 max, 2 global)                     -> dx[]
 *   convup fn in_c in_h in_w out_c out_h out_w kh kw sh sw pt pl groups x_scale x_zp
 *          rounding seed steps lr has_sel n_sel sel[n_sel] w[] w_scale[] has_master
 *          [n_master master[n_master]] x_saved[n_sel*in_h*in_w] dy[]
 *                                                            -> w[] master[n_master] rng_state
 *   fcup in out x_scale x_zp rounding seed steps lr has_sel n_sel sel[] w[] w_scale[]
 *          has_master [n_master master[n_master]] x_saved[n_sel] dy[out]
 *                                                            -> w[] master[n_master] rng_state
 *   biasup out_c plane x_scale rounding seed steps lr bias[] w_scale[] has_master
 *          master[out_c] dy[out_c*plane]                     -> bias[] master[] rng_state
 *   rng seed n / unif seed n                                 -> n values
 *   math fn n xbits[n]  (fn 0 exp, 1 log, 2 cos)             -> result bits[n]
 *   unset                                                    -> TT_MASTER_UNSET, is_nan
 * Update commands repeat the call `steps` times with the same inputs. has_sel 0 passes
 * sel = NULL; has_master 0 passes master = NULL. The weight master is the updated slice in
 * the kernel's layout (tt_train.h); its length n_master is given by the caller (a test may
 * pass more than the slice and check the excess is left alone). Masters may hold "nan"
 * (TT_MASTER_UNSET). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tt_train.h"

#define GUARD 16
static const uint8_t GUARD_BYTE = 0xA5;

static FILE *in;
static int guard_failed;

static const char *tok(void) {
  static char buf[64];
  if (fscanf(in, "%63s", buf) != 1) {
    fprintf(stderr, "train_driver: malformed input\n");
    exit(2);
  }
  return buf;
}

static long rdi(void) {
  char *end;
  const char *t = tok();
  long v = strtol(t, &end, 10);
  if (*end) {
    fprintf(stderr, "train_driver: bad integer '%s'\n", t);
    exit(2);
  }
  return v;
}

static float rdf(void) {
  char *end;
  const char *t = tok();
  float v = strtof(t, &end);
  if (*end) {
    fprintf(stderr, "train_driver: bad float '%s'\n", t);
    exit(2);
  }
  return v;
}

/* Every buffer has guard bytes on both sides; inputs are filled, outputs checked. */
static void *galloc(size_t bytes) {
  uint8_t *p = malloc(bytes + 2 * GUARD);
  if (!p) exit(3);
  memset(p, GUARD_BYTE, bytes + 2 * GUARD);
  return p + GUARD;
}

static void gfree(void *q, size_t bytes) {
  uint8_t *p = (uint8_t *)q - GUARD;
  size_t i;
  for (i = 0; i < GUARD; i++)
    if (p[i] != GUARD_BYTE || p[GUARD + bytes + i] != GUARD_BYTE) guard_failed = 1;
  free(p);
}

static float *rd_f32(size_t n) {
  float *p = galloc(n * sizeof *p);
  size_t i;
  for (i = 0; i < n; i++) p[i] = rdf();
  return p;
}

static int8_t *rd_s8(size_t n) {
  int8_t *p = galloc(n);
  size_t i;
  for (i = 0; i < n; i++) p[i] = (int8_t)rdi();
  return p;
}

static int32_t *rd_s32(size_t n) {
  int32_t *p = galloc(n * sizeof *p);
  size_t i;
  for (i = 0; i < n; i++) p[i] = (int32_t)rdi();
  return p;
}

static uint16_t *rd_u16(size_t n) {
  uint16_t *p = galloc(n * sizeof *p);
  size_t i;
  for (i = 0; i < n; i++) p[i] = (uint16_t)rdi();
  return p;
}

/* Output is buffered per command so a guard failure can replace the whole line. */
static char *line;
static size_t line_len, line_cap;

static void put(const char *s) {
  size_t n = strlen(s);
  if (line_len + n + 2 > line_cap) {
    line_cap = (line_len + n + 2) * 2;
    line = realloc(line, line_cap);
    if (!line) exit(3);
  }
  if (line_len) line[line_len++] = ' ';
  memcpy(line + line_len, s, n);
  line_len += n;
  line[line_len] = 0;
}

static void put_f(float v) {
  char b[32];
  snprintf(b, sizeof b, "%.9g", (double)v);
  put(b);
}

static void put_i(long v) {
  char b[32];
  snprintf(b, sizeof b, "%ld", v);
  put(b);
}

static void put_u(unsigned long v) {
  char b[32];
  snprintf(b, sizeof b, "%lu", v);
  put(b);
}

static void end_line(void) {
  printf("%s\n", guard_failed ? "GUARD" : (line ? line : ""));
  line_len = 0;
  if (line) line[0] = 0;
  guard_failed = 0;
}

static void put_fs(const float *v, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) put_f(v[i]);
}

/* ------------------------------------------------------------------------------------ */

static void run_xent(void) {
  uint32_t n = (uint32_t)rdi();
  float scale = rdf();
  int32_t zp = (int32_t)rdi(), label = (int32_t)rdi();
  int8_t *q = rd_s8(n);
  float *d = galloc(n * sizeof *d);
  float loss = tt_softmax_xent_s8(q, n, scale, zp, label, d);
  put_f(loss);
  put_fs(d, n);
  gfree(q, n);
  gfree(d, n * sizeof *d);
}

static void run_mask(void) {
  uint32_t n = (uint32_t)rdi(), nb = (n + 7) / 8, i;
  int32_t lo = (int32_t)rdi(), hi = (int32_t)rdi();
  int8_t *x = rd_s8(n);
  uint8_t *bits = galloc(nb);
  memset(bits, 0xFF, nb); /* the kernel must write every byte, unused bits included */
  tt_mask_from_s8(x, n, lo, hi, bits);
  for (i = 0; i < nb; i++) put_i(bits[i]);
  gfree(x, n);
  gfree(bits, nb);
}

static void run_maskapply(void) {
  uint32_t n = (uint32_t)rdi(), nb = (n + 7) / 8, i;
  uint8_t *bits = galloc(nb);
  float *g;
  for (i = 0; i < nb; i++) bits[i] = (uint8_t)rdi();
  g = rd_f32(n);
  tt_mask_apply_f32(g, bits, n);
  put_fs(g, n);
  gfree(bits, nb);
  gfree(g, n * sizeof *g);
}

static void run_clampbw(void) {
  uint32_t n = (uint32_t)rdi();
  int32_t lo = (int32_t)rdi(), hi = (int32_t)rdi();
  int8_t *y = rd_s8(n);
  float *g = rd_f32(n);
  tt_clamp_backward_f32(g, y, n, lo, hi);
  put_fs(g, n);
  gfree(y, n);
  gfree(g, n * sizeof *g);
}

static void run_ew(void) {
  int op = (int)rdi();
  uint32_t n = (uint32_t)rdi();
  float *dst = rd_f32(n), *src = rd_f32(n), s = rdf();
  if (op == 0) tt_add_f32(dst, src, n);
  else if (op == 1) tt_copy_f32(dst, src, n);
  else tt_scale_f32(dst, n, s);
  put_fs(dst, n);
  gfree(dst, n * sizeof *dst);
  gfree(src, n * sizeof *src);
}

static void run_gather(void) {
  uint32_t plane = (uint32_t)rdi(), nch = (uint32_t)rdi(), i;
  uint16_t nsel = (uint16_t)rdi();
  uint16_t *sel = rd_u16(nsel);
  int8_t *x = rd_s8((size_t)nch * plane), *out = galloc((size_t)nsel * plane);
  tt_gather_channels_s8(x, plane, sel, nsel, out);
  for (i = 0; i < (uint32_t)nsel * plane; i++) put_i(out[i]);
  gfree(sel, nsel * sizeof *sel);
  gfree(x, (size_t)nch * plane);
  gfree(out, (size_t)nsel * plane);
}

static void rd_conv_geometry(tt_conv_grad_params_t *p) {
  p->in_c = (uint16_t)rdi(); p->in_h = (uint16_t)rdi(); p->in_w = (uint16_t)rdi();
  p->out_c = (uint16_t)rdi(); p->out_h = (uint16_t)rdi(); p->out_w = (uint16_t)rdi();
  p->kh = (uint8_t)rdi(); p->kw = (uint8_t)rdi(); p->stride_h = (uint8_t)rdi(); p->stride_w = (uint8_t)rdi();
  p->pad_t = (uint8_t)rdi(); p->pad_l = (uint8_t)rdi(); p->groups = (uint16_t)rdi();
}

static void run_convbw(void) {
  tt_conv_grad_params_t p = {0};
  int fn = (int)rdi(), acc;
  size_t wn, xn, yn;
  int8_t *w;
  float *ws, *dy, *dx;
  rd_conv_geometry(&p);
  acc = (int)rdi();
  wn = (size_t)p.out_c * (p.in_c / p.groups) * p.kh * p.kw;
  xn = (size_t)p.in_c * p.in_h * p.in_w;
  yn = (size_t)p.out_c * p.out_h * p.out_w;
  w = rd_s8(wn);
  ws = rd_f32(p.out_c);
  dy = rd_f32(yn);
  dx = rd_f32(xn);
  p.weight = w;
  p.w_scale = ws;
  if (fn == 0) tt_conv_backward_input_f32(&p, dy, dx, acc);
  else if (fn == 1) tt_depthwise_backward_input_f32(&p, dy, dx, acc);
  else tt_pointwise_backward_input_f32(&p, dy, dx, acc);
  put_fs(dx, xn);
  gfree(w, wn);
  gfree(ws, p.out_c * sizeof *ws);
  gfree(dy, yn * sizeof *dy);
  gfree(dx, xn * sizeof *dx);
}

/* Split weights of a pointwise (fn 2) or depthwise (fn 1) layer. */
static void run_convbws(void) {
  tt_conv_grad_params_t p = {0};
  int fn = (int)rdi(), acc;
  size_t k, nf, nt, xn, yn;
  uint16_t *slot;
  int8_t *wf, *wt;
  float *ws, *dy, *dx;
  rd_conv_geometry(&p);
  acc = (int)rdi();
  p.n_train = (uint16_t)rdi();
  slot = rd_u16(p.in_c);
  k = (size_t)p.kh * p.kw;
  nf = fn == 1 ? (size_t)(p.in_c - p.n_train) * k : (size_t)p.out_c * (p.in_c - p.n_train);
  nt = fn == 1 ? (size_t)p.n_train * k : (size_t)p.out_c * p.n_train;
  xn = (size_t)p.in_c * p.in_h * p.in_w;
  yn = (size_t)p.out_c * p.out_h * p.out_w;
  wf = rd_s8(nf);
  wt = rd_s8(nt);
  ws = rd_f32(p.out_c);
  dy = rd_f32(yn);
  dx = rd_f32(xn);
  p.weight = wf;
  p.weight_train = wt;
  p.in_slot = slot;
  p.w_scale = ws;
  if (fn == 1) tt_depthwise_backward_input_f32(&p, dy, dx, acc);
  else tt_pointwise_backward_input_f32(&p, dy, dx, acc);
  put_fs(dx, xn);
  gfree(slot, p.in_c * sizeof *slot);
  gfree(wf, nf);
  gfree(wt, nt);
  gfree(ws, p.out_c * sizeof *ws);
  gfree(dy, yn * sizeof *dy);
  gfree(dx, xn * sizeof *dx);
}

static void run_dwinplace(void) {
  tt_conv_grad_params_t p = {0};
  size_t wn, n, plane;
  int8_t *w;
  float *ws, *g, *scratch;
  rd_conv_geometry(&p);
  wn = (size_t)p.in_c * p.kh * p.kw;
  plane = (size_t)p.in_h * p.in_w;
  n = (size_t)p.in_c * plane;
  w = rd_s8(wn);
  ws = rd_f32(p.in_c);
  g = rd_f32(n);
  scratch = galloc(plane * sizeof *scratch);
  p.weight = w;
  p.w_scale = ws;
  tt_depthwise_backward_input_inplace_f32(&p, g, scratch);
  put_fs(g, n);
  gfree(w, wn);
  gfree(ws, p.in_c * sizeof *ws);
  gfree(g, n * sizeof *g);
  gfree(scratch, plane * sizeof *scratch);
}

static void run_stream(void) {
  tt_conv_grad_params_t d = {0}, pg = {0};
  tt_conv_update_params_t pw = {0};
  tt_bias_update_params_t pb = {0};
  tt_stream_params_t s = {0};
  tt_rng_t rng;
  int mtype, has_pgrad, has_pw, has_pb, has_sel = 0, has_master = 0, has_bmaster = 0;
  size_t C, dk, pk, dplane_in, dplane_out, pplane, nbits = 0, nf, nt, xn = 0, mn = 0, i;
  uint16_t *slot = NULL, *sel = NULL;
  int8_t *wd, *wf, *wt = NULL, *y = NULL, *xs = NULL;
  uint8_t *bits = NULL;
  int32_t *bias = NULL;
  float *wds, *dy, *wps, *dx = NULL, *master = NULL, *bmaster = NULL, *plane, lr;
  rd_conv_geometry(&d);
  C = d.in_c;
  dk = (size_t)d.kh * d.kw;
  dplane_in = (size_t)d.in_h * d.in_w;
  dplane_out = (size_t)d.out_h * d.out_w;
  wd = rd_s8(C * dk);
  wds = rd_f32(C);
  dy = rd_f32(C * dplane_out);
  mtype = (int)rdi();
  if (mtype == 1) {
    nbits = (C * dplane_in + 7) / 8;
    bits = galloc(nbits);
    for (i = 0; i < nbits; i++) bits[i] = (uint8_t)rdi();
  } else if (mtype == 2) {
    s.lo = (int32_t)rdi();
    s.hi = (int32_t)rdi();
    y = rd_s8(C * dplane_in);
  }
  rd_conv_geometry(&pg);
  pk = (size_t)pg.kh * pg.kw;
  pplane = (size_t)pg.in_h * pg.in_w;
  pg.n_train = (uint16_t)rdi();
  if (pg.n_train) slot = rd_u16(pg.in_c);
  nf = C * (pg.in_c - pg.n_train) * pk;
  nt = C * pg.n_train * pk;
  wf = rd_s8(nf);
  if (pg.n_train) wt = rd_s8(nt);
  wps = rd_f32(C);
  pg.weight = wf;
  pg.weight_train = wt;
  pg.in_slot = slot;
  pg.w_scale = wps;
  d.weight = wd;
  d.w_scale = wds;
  s.dw = &d;
  s.mask = bits;
  s.y = y;
  has_pgrad = (int)rdi();
  if (has_pgrad) {
    s.p_grad = &pg;
    s.p_grad_pointwise = (uint8_t)rdi();
    s.p_grad_accumulate = (int8_t)rdi();
    dx = rd_f32(pg.in_c * pplane);
  }
  has_pw = (int)rdi();
  if (has_pw) {
    pw.in_c = pg.in_c; pw.in_h = pg.in_h; pw.in_w = pg.in_w; pw.out_c = pg.out_c;
    pw.out_h = pg.out_h; pw.out_w = pg.out_w; pw.kh = pg.kh; pw.kw = pg.kw;
    pw.stride_h = pg.stride_h; pw.stride_w = pg.stride_w; pw.pad_t = pg.pad_t; pw.pad_l = pg.pad_l;
    pw.groups = 1;
    s.p_w = &pw;
    s.p_w_pointwise = (uint8_t)rdi();
    pw.x_scale = rdf();
    pw.x_zp = (int32_t)rdi();
    pw.rounding = (uint8_t)rdi();
    has_sel = (int)rdi();
    pw.n_sel = (uint16_t)rdi();
    if (has_sel) sel = rd_u16(pw.n_sel);
    pw.sel = sel;
    has_master = (int)rdi();
    if (has_master) {
      mn = (size_t)rdi();
      master = rd_f32(mn);
    }
    pw.master = master;
    xn = (size_t)pw.n_sel * pplane;
    xs = rd_s8(xn);
    s.p_saved = xs;
    pw.w_scale = wps;
    pw.weight = pg.n_train ? wt : wf;
    pw.weight_is_slice = pg.n_train ? 1 : 0;
  }
  has_pb = (int)rdi();
  if (has_pb) {
    s.p_b = &pb;
    pb.out_c = (uint16_t)C;
    pb.plane = (uint32_t)dplane_in;
    pb.w_scale = wps;
    pb.x_scale = rdf();
    pb.rounding = (uint8_t)rdi();
    bias = rd_s32(C);
    pb.bias = bias;
    has_bmaster = (int)rdi();
    if (has_bmaster) bmaster = rd_f32(C);
    pb.master = bmaster;
  }
  rng.state = (uint32_t)strtoul(tok(), NULL, 10);
  lr = rdf();
  plane = galloc(dplane_in * sizeof *plane);
  tt_stream_backward_f32(&s, dy, dx, plane, lr, &rng);
  if (dx) put_fs(dx, pg.in_c * pplane);
  for (i = 0; i < nf; i++) put_i(wf[i]);
  for (i = 0; i < nt; i++) put_i(wt[i]);
  if (master) put_fs(master, mn);
  if (bias) for (i = 0; i < C; i++) put_i(bias[i]);
  if (bmaster) put_fs(bmaster, C);
  put_u(rng.state);
  gfree(wd, C * dk);
  gfree(wds, C * sizeof *wds);
  gfree(dy, C * dplane_out * sizeof *dy);
  if (bits) gfree(bits, nbits);
  if (y) gfree(y, C * dplane_in);
  if (slot) gfree(slot, pg.in_c * sizeof *slot);
  gfree(wf, nf);
  if (wt) gfree(wt, nt);
  gfree(wps, C * sizeof *wps);
  if (dx) gfree(dx, pg.in_c * pplane * sizeof *dx);
  if (sel) gfree(sel, pw.n_sel * sizeof *sel);
  if (master) gfree(master, mn * sizeof *master);
  if (xs) gfree(xs, xn);
  if (bias) gfree(bias, C * sizeof *bias);
  if (bmaster) gfree(bmaster, C * sizeof *bmaster);
  gfree(plane, dplane_in * sizeof *plane);
}

static void run_fcbw(void) {
  tt_fc_grad_params_t p = {0};
  int acc;
  int8_t *w;
  float *ws, *dy, *dx;
  p.in_features = (uint16_t)rdi();
  p.out_features = (uint16_t)rdi();
  acc = (int)rdi();
  w = rd_s8((size_t)p.in_features * p.out_features);
  ws = rd_f32(p.out_features);
  dy = rd_f32(p.out_features);
  dx = rd_f32(p.in_features);
  p.weight = w;
  p.w_scale = ws;
  tt_fc_backward_input_f32(&p, dy, dx, acc);
  put_fs(dx, p.in_features);
  gfree(w, (size_t)p.in_features * p.out_features);
  gfree(ws, p.out_features * sizeof *ws);
  gfree(dy, p.out_features * sizeof *dy);
  gfree(dx, p.in_features * sizeof *dx);
}

static void run_poolbw(void) {
  tt_pool_params_t p;
  int kind = (int)rdi(), acc;
  size_t xn, yn;
  int8_t *x = NULL;
  float *dy, *dx;
  memset(&p, 0, sizeof p);
  p.c = (uint16_t)rdi(); p.in_h = (uint16_t)rdi(); p.in_w = (uint16_t)rdi();
  p.out_h = (uint16_t)rdi(); p.out_w = (uint16_t)rdi();
  p.kh = (uint8_t)rdi(); p.kw = (uint8_t)rdi(); p.stride_h = (uint8_t)rdi(); p.stride_w = (uint8_t)rdi();
  p.pad_t = (uint8_t)rdi(); p.pad_l = (uint8_t)rdi(); p.count_include_pad = (uint8_t)rdi();
  acc = (int)rdi();
  xn = (size_t)p.c * p.in_h * p.in_w;
  yn = (size_t)p.c * p.out_h * p.out_w;
  if (kind == 1) x = rd_s8(xn);
  dy = rd_f32(yn);
  dx = rd_f32(xn);
  if (kind == 0) tt_avgpool_backward_f32(&p, dy, dx, acc);
  else if (kind == 1) tt_maxpool_backward_f32(&p, x, dy, dx, acc);
  else tt_global_avgpool_backward_f32(&p, dy, dx, acc);
  put_fs(dx, xn);
  if (x) gfree(x, xn);
  gfree(dy, yn * sizeof *dy);
  gfree(dx, xn * sizeof *dx);
}

static void run_convup(void) {
  tt_conv_update_params_t p = {0};
  tt_conv_grad_params_t g = {0};
  tt_rng_t rng;
  int fn = (int)rdi(), steps, has_sel, has_master, s;
  size_t wn, yn, xn;
  uint16_t *sel = NULL;
  int8_t *w, *xs;
  float *ws, *master = NULL, *dy, lr;
  size_t mn = 0;
  rd_conv_geometry(&g);
  p.in_c = g.in_c; p.in_h = g.in_h; p.in_w = g.in_w; p.out_c = g.out_c; p.out_h = g.out_h;
  p.out_w = g.out_w; p.kh = g.kh; p.kw = g.kw; p.stride_h = g.stride_h; p.stride_w = g.stride_w;
  p.pad_t = g.pad_t; p.pad_l = g.pad_l; p.groups = g.groups;
  p.x_scale = rdf();
  p.x_zp = (int32_t)rdi();
  p.rounding = (uint8_t)rdi();
  rng.state = (uint32_t)strtoul(tok(), NULL, 10);
  steps = (int)rdi();
  lr = rdf();
  has_sel = (int)rdi();
  p.n_sel = (uint16_t)rdi();
  if (has_sel) sel = rd_u16(p.n_sel);
  wn = (size_t)p.out_c * (p.in_c / p.groups) * p.kh * p.kw;
  yn = (size_t)p.out_c * p.out_h * p.out_w;
  xn = (size_t)p.n_sel * p.in_h * p.in_w;
  w = rd_s8(wn);
  ws = rd_f32(p.out_c);
  has_master = (int)rdi();
  if (has_master) {
    mn = (size_t)rdi();
    master = rd_f32(mn);
  }
  xs = rd_s8(xn);
  dy = rd_f32(yn);
  p.sel = sel; p.weight = w; p.w_scale = ws; p.master = master;
  for (s = 0; s < steps; s++) {
    if (fn == 0) tt_conv_update_s8(&p, xs, dy, lr, &rng);
    else if (fn == 1) tt_depthwise_update_s8(&p, xs, dy, lr, &rng);
    else tt_pointwise_update_s8(&p, xs, dy, lr, &rng);
  }
  for (s = 0; s < (int)wn; s++) put_i(w[s]);
  if (master) put_fs(master, mn);
  put_u(rng.state);
  if (sel) gfree(sel, p.n_sel * sizeof *sel);
  gfree(w, wn);
  gfree(ws, p.out_c * sizeof *ws);
  if (master) gfree(master, mn * sizeof *master);
  gfree(xs, xn);
  gfree(dy, yn * sizeof *dy);
}

static void run_fcup(void) {
  tt_fc_update_params_t p = {0};
  tt_rng_t rng;
  int steps, has_sel, has_master, s;
  size_t wn, mn = 0;
  uint16_t *sel = NULL;
  int8_t *w, *xs;
  float *ws, *master = NULL, *dy, lr;
  p.in_features = (uint16_t)rdi();
  p.out_features = (uint16_t)rdi();
  p.x_scale = rdf();
  p.x_zp = (int32_t)rdi();
  p.rounding = (uint8_t)rdi();
  rng.state = (uint32_t)strtoul(tok(), NULL, 10);
  steps = (int)rdi();
  lr = rdf();
  has_sel = (int)rdi();
  p.n_sel = (uint16_t)rdi();
  if (has_sel) sel = rd_u16(p.n_sel);
  wn = (size_t)p.in_features * p.out_features;
  w = rd_s8(wn);
  ws = rd_f32(p.out_features);
  has_master = (int)rdi();
  if (has_master) {
    mn = (size_t)rdi();
    master = rd_f32(mn);
  }
  xs = rd_s8(p.n_sel);
  dy = rd_f32(p.out_features);
  p.sel = sel; p.weight = w; p.w_scale = ws; p.master = master;
  for (s = 0; s < steps; s++) tt_fc_update_s8(&p, xs, dy, lr, &rng);
  for (s = 0; s < (int)wn; s++) put_i(w[s]);
  if (master) put_fs(master, mn);
  put_u(rng.state);
  if (sel) gfree(sel, p.n_sel * sizeof *sel);
  gfree(w, wn);
  gfree(ws, p.out_features * sizeof *ws);
  if (master) gfree(master, mn * sizeof *master);
  gfree(xs, p.n_sel);
  gfree(dy, p.out_features * sizeof *dy);
}

static void run_biasup(void) {
  tt_bias_update_params_t p;
  tt_rng_t rng;
  int steps, has_master, s;
  size_t yn;
  int32_t *b;
  float *ws, *master = NULL, *dy, lr;
  p.out_c = (uint16_t)rdi();
  p.plane = (uint32_t)rdi();
  p.x_scale = rdf();
  p.rounding = (uint8_t)rdi();
  rng.state = (uint32_t)strtoul(tok(), NULL, 10);
  steps = (int)rdi();
  lr = rdf();
  b = rd_s32(p.out_c);
  ws = rd_f32(p.out_c);
  has_master = (int)rdi();
  if (has_master) master = rd_f32(p.out_c);
  yn = (size_t)p.out_c * p.plane;
  dy = rd_f32(yn);
  p.bias = b; p.w_scale = ws; p.master = master;
  for (s = 0; s < steps; s++) tt_bias_update_s32(&p, dy, lr, &rng);
  for (s = 0; s < p.out_c; s++) put_i(b[s]);
  if (master) put_fs(master, p.out_c);
  put_u(rng.state);
  gfree(b, p.out_c * sizeof *b);
  gfree(ws, p.out_c * sizeof *ws);
  if (master) gfree(master, p.out_c * sizeof *master);
  gfree(dy, yn * sizeof *dy);
}

static void run_rng(int uniform) {
  tt_rng_t r;
  long n, i;
  r.state = (uint32_t)strtoul(tok(), NULL, 10);
  n = rdi();
  for (i = 0; i < n; i++) {
    if (uniform) put_f(tt_rng_uniform(&r));
    else put_u(tt_rng_next(&r));
  }
}

static void run_math(void) {
  int fn = (int)rdi();
  long n = rdi(), i;
  union { uint32_t u; float f; } v;
  for (i = 0; i < n; i++) {
    v.u = (uint32_t)strtoul(tok(), NULL, 10);
    v.f = fn == 0 ? tt_expf(v.f) : fn == 1 ? tt_logf(v.f) : tt_cosf(v.f);
    put_u(v.u);
  }
}

static void run_unset(void) {
  const float u = TT_MASTER_UNSET;
  put_f(u);
  put_i(u != u);
}

int main(int argc, char **argv) {
  char cmd[32];
  if (argc != 2 || !(in = fopen(argv[1], "r"))) {
    fprintf(stderr, "usage: train_driver CASEFILE\n");
    return 2;
  }
  while (fscanf(in, "%31s", cmd) == 1) {
    if (!strcmp(cmd, "xent")) run_xent();
    else if (!strcmp(cmd, "mask")) run_mask();
    else if (!strcmp(cmd, "maskapply")) run_maskapply();
    else if (!strcmp(cmd, "clampbw")) run_clampbw();
    else if (!strcmp(cmd, "ew")) run_ew();
    else if (!strcmp(cmd, "gather")) run_gather();
    else if (!strcmp(cmd, "convbw")) run_convbw();
    else if (!strcmp(cmd, "convbws")) run_convbws();
    else if (!strcmp(cmd, "dwinplace")) run_dwinplace();
    else if (!strcmp(cmd, "stream")) run_stream();
    else if (!strcmp(cmd, "fcbw")) run_fcbw();
    else if (!strcmp(cmd, "poolbw")) run_poolbw();
    else if (!strcmp(cmd, "convup")) run_convup();
    else if (!strcmp(cmd, "fcup")) run_fcup();
    else if (!strcmp(cmd, "biasup")) run_biasup();
    else if (!strcmp(cmd, "rng")) run_rng(0);
    else if (!strcmp(cmd, "unif")) run_rng(1);
    else if (!strcmp(cmd, "math")) run_math();
    else if (!strcmp(cmd, "unset")) run_unset();
    else {
      fprintf(stderr, "train_driver: unknown command '%s'\n", cmd);
      return 2;
    }
    end_line();
  }
  fclose(in);
  free(line);
  return 0;
}
