/* tt_depthwise_backward_input_f32: input gradient of a depthwise convolution
 * (groups == in_c == out_c, weights [C,1,kh,kw]):
 *   dx[c, oy·sh − pt + ky, ox·sw − pl + kx] += (s_w[c]·q_w[c,ky,kx])·dy[c,oy,ox]
 * in the order (ky, kx, oy, ox), after dx's previous value (accumulate) or 0. The same
 * operations in the same order as tt_conv_backward_input_f32: identical bits. */
#include "tt_train.h"
#include "tt_conv_geometry.h"
#include "tt_split.h"
#include "tt_simd.h"

/* One channel: dxc (+)= transposed conv of dyc. */
static void channel_backward(const tt_conv_grad_params_t *p, int32_t c, const float *dyc, float *dxc,
                             int accumulate) {
  const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
  const int32_t kh = p->kh, kw = p->kw, sh = p->stride_h, sw = p->stride_w;
  const int32_t plane_in = in_h * in_w;
  int32_t ky, kx, oy, ox;
  {
    const int8_t *w = tt_split_channel(p->weight, p->weight_train, p->in_slot, c, kh * kw);
    const float s = p->w_scale[c];
    if (!accumulate)
      for (oy = 0; oy < plane_in; oy++) dxc[oy] = 0.0f;
    for (ky = 0; ky < kh; ky++) {
      int32_t oy0, oy1;
      tt_tap_range(ky, p->pad_t, sh, in_h, out_h, &oy0, &oy1);
      for (kx = 0; kx < kw; kx++) {
        const float wv = s * (float)w[ky * kw + kx];
        int32_t ox0, ox1;
        tt_tap_range(kx, p->pad_l, sw, in_w, out_w, &ox0, &ox1);
        for (oy = oy0; oy < oy1; oy++) {
          float *d = dxc + (oy * sh - p->pad_t + ky) * in_w + ox0 * sw - p->pad_l + kx;
          const float *gr = dyc + oy * out_w;
          for (ox = ox0; ox < ox1; ox++, d += sw) *d += wv * gr[ox];
        }
      }
    }
  }
}

#if TT_DSP
/* Gather form: each dx element (or a row of 8 of them) is summed in registers, its taps
 * in (ky, kx) order — the order in which the portable scatter loops reach it — from its
 * start value (0, or dx's previous value with accumulate). Three ways, by geometry:
 *  - small planes (4x4, 2x2; stride 1, "same" padding): the whole plane in registers,
 *    everything unrolled, only valid taps;
 *  - rows of 8 or 16 (stride 1 or 2, "same" padding): row width, kernel width, stride
 *    and padding are compile-time constants, so only valid taps are computed; kernel rows
 *    come from a table per dx row;
 *  - other geometries: a zero-padded copy of dy (see dw_padded_all).
 * Anything else (kernels other than 3/5/7 wide, larger planes) keeps the portable loops. */
#define DW_BUF 192                 /* floats of padded plane on the stack (8x8 dy, 7x7) */
#define DW_MAXK 49                 /* kh·kw */
#define DW_MAXH 32                 /* dx rows (row tables on the stack) */

/* Per dx row iy: the kernel rows that reach it, ky = k0, k0 + sh, ... (nky of them, oy
 * from oy0 down), i.e. iy + pt − ky = oy·sh with 0 <= oy < out_h, in ascending ky. */
typedef struct {
  uint8_t k0[DW_MAXH], oy0[DW_MAXH], nky[DW_MAXH];
} dw_rowtab_t;

static void dw_rowtab(const tt_conv_grad_params_t *p, dw_rowtab_t *t) {
  const int32_t H = p->in_h, OH = p->out_h, kh = p->kh, sh = p->stride_h, pt = p->pad_t;
  int32_t iy;
  for (iy = 0; iy < H; iy++) {
    int32_t k0 = (iy + pt) % sh, oy0 = (iy + pt - k0) / sh, n = 0;
    if (oy0 > OH - 1) {
      k0 += (oy0 - (OH - 1)) * sh;
      oy0 = OH - 1;
    }
    if (k0 < kh && oy0 >= 0) {
      n = (kh - 1 - k0) / sh + 1;
      if (n > oy0 + 1) n = oy0 + 1;
    }
    t->k0[iy] = (uint8_t)(n ? k0 : 0);
    t->oy0[iy] = (uint8_t)(n ? oy0 : 0);
    t->nky[iy] = (uint8_t)n;
  }
}

/* ---- small planes ---------------------------------------------------------------- */

/* H x W <= 16, stride 1, padding (K − 1)/2, K x K: all of dx in registers, every tap's
 * validity a compile-time constant. For each ky the weights of that kernel row are
 * converted into registers, then each dy row it reaches is loaded once and every kx is
 * added to the elements it reaches. All of dy is read before dx is written, so dx may be
 * dy itself (in place). */
static inline __attribute__((always_inline)) void dw_small(const int8_t *q, float s, const float *dyc,
                                                           float *dxc, int load, const int H, const int W,
                                                           const int K) {
  const int P = (K - 1) / 2;
  float acc[16];
#pragma GCC unroll 16
  for (int e = 0; e < H * W; e++) acc[e] = load ? dxc[e] : 0.0f;
#pragma GCC unroll 7
  for (int ky = 0; ky < K; ky++) {
    float wr[7];
#pragma GCC unroll 7
    for (int kx = 0; kx < K; kx++) wr[kx] = s * (float)q[ky * K + kx];
#pragma GCC unroll 4
    for (int oy = 0; oy < H; oy++) {
      const int iy = oy - P + ky;
      float d[4];
      if (iy < 0 || iy >= H) continue;
#pragma GCC unroll 4
      for (int ox = 0; ox < W; ox++) d[ox] = dyc[oy * W + ox];
#pragma GCC unroll 7
      for (int kx = 0; kx < K; kx++)
#pragma GCC unroll 4
        for (int ox = 0; ox < W; ox++) {
          const int ix = ox - P + kx;
          if (ix >= 0 && ix < W) acc[iy * W + ix] = tt_fmac(acc[iy * W + ix], wr[kx], d[ox]);
        }
    }
  }
#pragma GCC unroll 16
  for (int e = 0; e < H * W; e++) dxc[e] = acc[e];
}

static int dw_small_case(const tt_conv_grad_params_t *p) {
  const int32_t k = p->kw, h = p->in_h, w = p->in_w;
  if (p->kh != k || p->stride_h != 1 || p->stride_w != 1 || p->pad_t != (k - 1) / 2 ||
      p->pad_l != (k - 1) / 2 || p->out_h != h || p->out_w != w || !(k == 3 || k == 5 || k == 7))
    return 0;
  return (h == 4 && w == 4) || (h == 2 && w == 2);
}

static void dw_small_all(const tt_conv_grad_params_t *p, const float *dy, float *dx, int accumulate) {
  const int32_t k = p->kw, plane = (int32_t)p->in_h * p->in_w;
  const int big = p->in_h == 4;
  int32_t c;
  for (c = 0; c < p->in_c; c++) {
    const int8_t *q = tt_split_channel(p->weight, p->weight_train, p->in_slot, c, k * k);
    const float s = p->w_scale[c];
    const float *dyc = dy + c * plane;
    float *dxc = dx + c * plane;
    if (big) {
      if (k == 3) dw_small(q, s, dyc, dxc, accumulate, 4, 4, 3);
      else if (k == 5) dw_small(q, s, dyc, dxc, accumulate, 4, 4, 5);
      else dw_small(q, s, dyc, dxc, accumulate, 4, 4, 7);
    } else {
      if (k == 3) dw_small(q, s, dyc, dxc, accumulate, 2, 2, 3);
      else if (k == 5) dw_small(q, s, dyc, dxc, accumulate, 2, 2, 5);
      else dw_small(q, s, dyc, dxc, accumulate, 2, 2, 7);
    }
  }
}

/* ---- rows of 8 or 16 ----------------------------------------------------------------- */

/* dx columns C0..C0+7 of row iy: OW (dy row), K = kw, S = sw, P = pad_l are constants, so
 * whether tap kx reaches column C0 + m is known when compiling. For each kernel row ky
 * of the table, the part of dy row oy these columns need is loaded once and each tap kx
 * added to the columns it reaches. dy must not be dx. */
static inline __attribute__((always_inline)) void dw_fix_block(const dw_rowtab_t *t, int32_t iy, int32_t sh,
                                                               const float *wv, const float *dyc, float *dr,
                                                               int load, const int OW, const int K,
                                                               const int S, const int P, const int C0) {
  const int lo = C0 + P - (K - 1) < 0 ? 0 : (C0 + P - (K - 1) + S - 1) / S;  /* dy columns used */
  const int hi = (C0 + 7 + P) / S > OW - 1 ? OW - 1 : (C0 + 7 + P) / S;
  int32_t ky = t->k0[iy], oy = t->oy0[iy], n = t->nky[iy];
  float acc[8];
#pragma GCC unroll 8
  for (int m = 0; m < 8; m++) acc[m] = load ? dr[C0 + m] : 0.0f;
  for (; n > 0; n--, ky += sh, oy--) {
    const float *g = dyc + oy * OW;
    const float *w = wv + ky * K;
    float d[16];
#pragma GCC unroll 16
    for (int ox = lo; ox <= hi; ox++) d[ox] = g[ox];
#pragma GCC unroll 7
    for (int kx = 0; kx < K; kx++) {
      const float wk = w[kx];
#pragma GCC unroll 8
      for (int m = 0; m < 8; m++) {
        const int u = C0 + m + P - kx;                 /* = ox·S when the tap is valid */
        if (u >= 0 && u % S == 0 && u / S < OW) acc[m] = tt_fmac(acc[m], wk, d[u / S]);
      }
    }
  }
#pragma GCC unroll 8
  for (int m = 0; m < 8; m++) dr[C0 + m] = acc[m];
}

static inline __attribute__((always_inline)) void dw_fix_rows(const tt_conv_grad_params_t *p,
                                                              const dw_rowtab_t *t, const float *wv,
                                                              const float *dyc, float *dxc,
                                                              int load, const int W, const int K, const int S) {
  const int32_t H = p->in_h, sh = p->stride_h;
  int32_t iy;
  for (iy = 0; iy < H; iy++) {
    float *dr = dxc + iy * W;
    dw_fix_block(t, iy, sh, wv, dyc, dr, load, W / S, K, S, (K - 1) / 2, 0);
    if (W == 16) dw_fix_block(t, iy, sh, wv, dyc, dr, load, W / S, K, S, (K - 1) / 2, 8);
  }
}

static int dw_fix_case(const tt_conv_grad_params_t *p) {
  const int32_t k = p->kw, s = p->stride_w, w = p->in_w;
  return (k == 3 || k == 5 || k == 7) && p->pad_l == (k - 1) / 2 && (w == 8 || w == 16) &&
         ((s == 1 && p->out_w == w) || (s == 2 && p->out_w == w / 2)) && p->in_h <= DW_MAXH &&
         p->kh * k <= DW_MAXK && p->kh >= 1 && p->stride_h >= 1;
}

/* Channel c's weights s_w[c]·q into wv; in place (dy == dx) its dy plane is first copied
 * to scratch and read from there. */
static inline __attribute__((always_inline)) const float *dw_fix_channel(const tt_conv_grad_params_t *p,
                                                                         int32_t c, const float *dyc,
                                                                         const float *dxc, float *wv,
                                                                         float *scratch) {
  const int32_t kk = (int32_t)p->kh * p->kw;
  const int8_t *q = tt_split_channel(p->weight, p->weight_train, p->in_slot, c, kk);
  const float sc = p->w_scale[c];
  int32_t i;
  for (i = 0; i < kk; i++) wv[i] = sc * (float)q[i];
  if (dyc != dxc) return dyc;
  tt_copy_f32(scratch, dyc, (uint32_t)p->out_h * p->out_w);
  return scratch;
}

static __attribute__((noinline)) void dw_fix_all(const tt_conv_grad_params_t *p, const float *dy, float *dx,
                                                 int accumulate, float *scratch) {
  const int32_t plane_in = (int32_t)p->in_h * p->in_w, plane_out = (int32_t)p->out_h * p->out_w;
  const int32_t k = p->kw, s = p->stride_w, w = p->in_w;
  float wv[p->kh * k];                     /* <= DW_MAXK */
  dw_rowtab_t t;
  int32_t c;
  dw_rowtab(p, &t);
#define DW_FIX(W, K, S)                                                                           \
  if (w == W && k == K && s == S) {                                                               \
    for (c = 0; c < p->in_c; c++) {                                                               \
      const float *dyc = dw_fix_channel(p, c, dy + c * plane_out, dx + c * plane_in, wv, scratch); \
      dw_fix_rows(p, &t, wv, dyc, dx + c * plane_in, accumulate, W, K, S);                        \
    }                                                                                             \
    return;                                                                                       \
  }
  DW_FIX(8, 3, 1) DW_FIX(8, 5, 1) DW_FIX(8, 7, 1) DW_FIX(8, 3, 2) DW_FIX(8, 5, 2) DW_FIX(8, 7, 2)
  DW_FIX(16, 3, 1) DW_FIX(16, 5, 1) DW_FIX(16, 7, 1) DW_FIX(16, 3, 2) DW_FIX(16, 5, 2) DW_FIX(16, 7, 2)
#undef DW_FIX
}

/* ---- other geometries: zero-padded dy ---------------------------------------------- */

/* One dx row at a time in blocks of NB (4 or 8) columns: for a fixed ky and residue
 * ρ = kx mod sw, the columns ix ≡ ρ − pl (mod sw) see consecutive ox. Taps that fall
 * outside dy read zeros from a padded copy of dy (pbuf, `pw` floats a row; rows outside
 * dy are skipped through the row table), adding w·0 = ±0. That leaves a sum unchanged as
 * long as it is not −0 and w is finite: a sum that starts at +0 never becomes −0
 * (x + y = −0 needs x = y = −0), so the overwrite mode is always exact; with accumulate, a
 * channel whose previous dx holds −0 or a NaN (which an extra add would quiet), or whose
 * weights are not all finite, takes the portable loop. dy is copied first, so dx may be
 * dy itself. */
typedef struct {
  int32_t pw, padl, nb;            /* padded row length, left pad, columns per register block */
  int32_t ix0[2], c[2], ncols[2];  /* per residue ρ: first column, ox offset, column count */
  dw_rowtab_t rows;
} dw_plan_t;

/* Fills the plan; 0 if the geometry is not covered. */
static int dw_plan(const tt_conv_grad_params_t *p, dw_plan_t *pl) {
  const int32_t K = p->kw, S = p->stride_w, W = p->in_w, OW = p->out_w, H = p->in_h, OH = p->out_h;
  const int32_t pad_l = p->pad_l;
  int32_t right, rho;
  if (!((K == 3 || K == 5 || K == 7) && (S == 1 || S == 2) && p->kh >= 1 && p->stride_h >= 1 &&
        p->kh * K <= DW_MAXK && W > 0 && H > 0 && H <= DW_MAXH && OW > 0 && OH > 0))
    return 0;
  pl->nb = (W + S - 1) / S >= 8 ? 8 : 4;
  pl->padl = (K - 1) / S;                /* reads reach T − 1 <= (K − 1)/S left of ox = c >= 0 */
  right = OW;                            /* and up to c + (whole blocks) − 1 on the right */
  for (rho = 0; rho < S; rho++) {
    pl->ix0[rho] = ((rho - pad_l) % S + S) % S;
    pl->c[rho] = (pl->ix0[rho] + pad_l - rho) / S;
    pl->ncols[rho] = (W - pl->ix0[rho] + S - 1) / S;
    if (pl->c[rho] + (pl->ncols[rho] + pl->nb - 1) / pl->nb * pl->nb > right)
      right = pl->c[rho] + (pl->ncols[rho] + pl->nb - 1) / pl->nb * pl->nb;
  }
  pl->pw = pl->padl + right;
  if (pl->pw * OH > DW_BUF) return 0;
  dw_rowtab(p, &pl->rows);
  return 1;
}

/* One block of NB dx columns (column ix0 + S·m at d[m·S]), nv of them valid: column
 * ix0 + S·m of residue ρ takes ox = m + c − t from tap kx = ρ + S·t. */
static inline __attribute__((always_inline)) void dw_block(const float *wv, const float *base, int32_t pw,
                                                           int32_t ky, int32_t oy, int32_t nky, int32_t sh,
                                                           float *d, int32_t nv, int load, const int K,
                                                           const int S, const int NB, const int rho) {
  const int T = (K - rho + S - 1) / S;          /* taps kx = rho + S·t, t < T */
  const float *v = base - (T - 1) + oy * pw;
  const float *w = wv + ky * K + rho;
  const int32_t vstep = sh * K;
  float acc[8];
  if (nv >= NB) {
#pragma GCC unroll 8
    for (int m = 0; m < NB; m++) acc[m] = load ? d[m * S] : 0.0f;
  } else {
#pragma GCC unroll 8
    for (int m = 0; m < NB; m++) acc[m] = (load && m < nv) ? d[m * S] : 0.0f;
  }
  for (; nky > 0; nky--, v -= pw, w += vstep) {
    float x[16];
#pragma GCC unroll 16
    for (int k = 0; k < NB + T - 1; k++) x[k] = v[k];
#pragma GCC unroll 7
    for (int t = 0; t < T; t++) {
      const float wt = w[t * S];
#pragma GCC unroll 8
      for (int m = 0; m < NB; m++) acc[m] = tt_fmac(acc[m], wt, x[m - t + T - 1]);
    }
  }
  if (nv >= NB) {
#pragma GCC unroll 8
    for (int m = 0; m < NB; m++) d[m * S] = acc[m];
  } else {
#pragma GCC unroll 8
    for (int m = 0; m < NB; m++)
      if (m < nv) d[m * S] = acc[m];
  }
}

/* All rows of one channel: K = kw, S = sw, NB (constants after inlining). */
static inline __attribute__((always_inline)) void dw_rows(const tt_conv_grad_params_t *p, const dw_plan_t *pl,
                                                          const float *wv, const float *pbuf, float *dxc,
                                                          int load, const int K, const int S, const int NB) {
  const int32_t H = p->in_h, W = p->in_w, sh = p->stride_h, pw = pl->pw;
  int32_t iy;
  for (iy = 0; iy < H; iy++) {
    const int32_t ky = pl->rows.k0[iy], oy = pl->rows.oy0[iy], nky = pl->rows.nky[iy];
    float *dr = dxc + iy * W;
#pragma GCC unroll 2
    for (int rho = 0; rho < S; rho++) {
      const int32_t ncols = pl->ncols[rho];
      const float *base = pbuf + pl->padl + pl->c[rho];
      float *d = dr + pl->ix0[rho];
      int32_t m0;
      for (m0 = 0; m0 < ncols; m0 += NB, base += NB, d += NB * S)
        dw_block(wv, base, pw, ky, oy, nky, sh, d, ncols - m0, load, K, S, NB, rho);
    }
  }
}

/* Is any element −0 or NaN (where an added w·0 could change the bits)? */
static int dw_unsafe_start(const float *x, int32_t n) {
  int32_t i;
  for (i = 0; i < n; i++) {
    uint32_t u;
    memcpy(&u, &x[i], 4);
    if (u == 0x80000000u || (u & 0x7fffffffu) > 0x7f800000u) return 1;
  }
  return 0;
}

/* One channel: dy plane dyc into dxc. In place (dyc == dxc, accumulate 0) the portable
 * fallback goes through `scratch`. pbuf's pad stays zero across channels. */
static void dw_channel_padded(const tt_conv_grad_params_t *p, const dw_plan_t *pl, int32_t c, const float *dyc,
                              float *dxc, int accumulate, float *scratch, float *pbuf) {
  const int32_t kh = p->kh, kw = p->kw, OH = p->out_h, OW = p->out_w, pw = pl->pw;
  const int8_t *w = tt_split_channel(p->weight, p->weight_train, p->in_slot, c, kh * kw);
  const float s = p->w_scale[c];
  /* Every s·q (|q| <= 128) is finite iff s is finite and |s|·128 does not overflow. */
  const int finite = (s - s) == 0.0f && (s < 0.0f ? -s : s) <= 2.0e36f;
  float wv[kh * kw];                       /* <= DW_MAXK */
  int32_t k, oy, ox;
  for (k = 0; k < kh * kw; k++) wv[k] = s * (float)w[k];
  if (!finite || (accumulate && dw_unsafe_start(dxc, (int32_t)p->in_h * p->in_w))) {
    if (dyc != dxc) {
      channel_backward(p, c, dyc, dxc, accumulate);
    } else {
      channel_backward(p, c, dyc, scratch, 0);
      tt_copy_f32(dxc, scratch, (uint32_t)p->in_h * p->in_w);
    }
    return;
  }
  for (oy = 0; oy < OH; oy++) {
    float *r = pbuf + oy * pw + pl->padl;
    const float *g = dyc + oy * OW;
    /* Unrolled, which also keeps GCC from calling newlib's byte-wise memcpy. */
    for (ox = 0; ox + 4 <= OW; ox += 4) {
      const float a = g[ox], b = g[ox + 1], e = g[ox + 2], f = g[ox + 3];
      r[ox] = a;
      r[ox + 1] = b;
      r[ox + 2] = e;
      r[ox + 3] = f;
    }
    if (ox < OW) r[ox] = g[ox];
    if (ox + 1 < OW) r[ox + 1] = g[ox + 1];
    if (ox + 2 < OW) r[ox + 2] = g[ox + 2];
  }
#define DW_CASE(K, S)                                                              \
  if (kw == K && p->stride_w == S) {                                               \
    if (pl->nb == 8) dw_rows(p, pl, wv, pbuf, dxc, accumulate, K, S, 8);           \
    else dw_rows(p, pl, wv, pbuf, dxc, accumulate, K, S, 4);                       \
    return;                                                                        \
  }
  DW_CASE(3, 1) DW_CASE(5, 1) DW_CASE(7, 1) DW_CASE(3, 2) DW_CASE(5, 2) DW_CASE(7, 2)
#undef DW_CASE
}

/* 0 if the geometry does not fit (nothing done). */
static __attribute__((noinline)) int dw_padded_all(const tt_conv_grad_params_t *p, const float *dy, float *dx,
                                                   int accumulate, float *scratch) {
  const int32_t plane_in = (int32_t)p->in_h * p->in_w, plane_out = (int32_t)p->out_h * p->out_w;
  dw_plan_t pl;
  int32_t i, c;
  if (!dw_plan(p, &pl)) return 0;
  {
    float pbuf[pl.pw * p->out_h];          /* <= DW_BUF: only the stack this geometry needs */
    for (i = 0; i < pl.pw * p->out_h; i++) pbuf[i] = 0.0f;
    for (c = 0; c < p->in_c; c++)
      dw_channel_padded(p, &pl, c, dy + c * plane_out, dx + c * plane_in, accumulate, scratch, pbuf);
  }
  return 1;
}

/* All channels; dx may equal dy (in place: stride 1, equal planes, accumulate 0, scratch).
 * 0 if the geometry is not covered (nothing done). */
static int dw_backward_dsp(const tt_conv_grad_params_t *p, const float *dy, float *dx, int accumulate,
                           float *scratch) {
  if (dw_small_case(p)) {
    dw_small_all(p, dy, dx, accumulate);
    return 1;
  }
  if (dw_fix_case(p) && (dy != dx || scratch)) {
    dw_fix_all(p, dy, dx, accumulate, scratch);
    return 1;
  }
  return dw_padded_all(p, dy, dx, accumulate, scratch);
}
#endif

void tt_depthwise_backward_input_f32(const tt_conv_grad_params_t *p, const float *dy, float *dx,
                                     int accumulate) {
  const int32_t plane_in = (int32_t)p->in_h * p->in_w, plane_out = (int32_t)p->out_h * p->out_w;
#if TT_DSP
  if (dw_backward_dsp(p, dy, dx, accumulate, 0)) return;
#endif
  for (int32_t c = 0; c < p->in_c; c++)
    channel_backward(p, c, dy + c * plane_out, dx + c * plane_in, accumulate);
}

/* In place (stride 1, input and output planes of one size): each channel's input gradient
 * is computed into `scratch` (one plane) and then replaces that channel's output gradient,
 * which nothing reads afterwards. Same operations in the same order: identical bits. */
void tt_depthwise_backward_input_inplace_f32(const tt_conv_grad_params_t *p, float *g, float *scratch) {
  const int32_t plane = (int32_t)p->in_h * p->in_w;
#if TT_DSP
  if (dw_backward_dsp(p, g, g, 0, scratch)) return;
#endif
  for (int32_t c = 0; c < p->in_c; c++) {
    float *gc = g + c * plane;
    channel_backward(p, c, gc, scratch, 0);
    for (int32_t i = 0; i < plane; i++) gc[i] = scratch[i];
  }
}
