/* tt_depthwise_conv_s8: depthwise int8 convolution (groups == in_c == out_c, weights
 * [C,1,kh,kw]). Same arithmetic as tt_conv_s8 without the input-channel loop; results
 * are identical. Channel multipliers > 1 go through tt_conv_s8.
 *
 * With TT_DSP, kernels 3, 5 or 7 wide at horizontal stride 1 or 2 (any height up to 7,
 * any vertical stride and padding) take dw_dsp below; other shapes, and rows too wide for
 * its stack buffer, the portable dw_portable. */
#include "tt_kernels.h"
#include "tt_conv_geometry.h"
#include "tt_split.h"
#include "tt_simd.h"

static int8_t store(const tt_conv_params_t *p, int32_t acc, int32_t c) {
  /* Clamp before adding out_zp: the requantized value may be near INT32_MAX. */
  const int32_t v = tt_requantize(acc, p->multiplier[c], p->shift[c]);
  return (int8_t)(tt_clamp_i32(v, p->act_min - p->out_zp, p->act_max - p->out_zp) + p->out_zp);
}

/* Out of line: inlined into the dispatcher, GCC compiles this loop about 12% slower. */
__attribute__((noinline)) static void dw_portable(const tt_conv_params_t *p, const int8_t *x, int8_t *y) {
  const int32_t in_h = p->in_h, in_w = p->in_w, kh = p->kh, kw = p->kw;
  const int32_t plane = in_h * in_w, ksize = kh * kw;
  int32_t c;
  for (c = 0; c < p->out_c; c++) {
    const int8_t *w = tt_split_channel(p->weight, p->weight_train, p->in_slot, c, ksize);
    const int8_t *xc = x + c * plane;
    int8_t *yc = y + c * p->out_h * p->out_w;
    const int32_t bias = p->bias ? p->bias[c] : 0;
    int32_t wsum = 0, i, oy, ox;
    for (i = 0; i < ksize; i++) wsum += w[i];
    for (oy = 0; oy < p->out_h; oy++) {
      const int32_t iy0 = oy * p->stride_h - p->pad_t;
      int32_t ky0, ky1;
      tt_window_taps(iy0, kh, in_h, &ky0, &ky1);
      for (ox = 0; ox < p->out_w; ox++) {
        const int32_t ix0 = ox * p->stride_w - p->pad_l;
        int32_t kx0, kx1;
        tt_window_taps(ix0, kw, in_w, &kx0, &kx1);
        const int32_t n = kx1 - kx0;
        const int full = ky0 == 0 && ky1 == kh && kx0 == 0 && kx1 == kw;
        int32_t sxw = 0, sw = 0, ky, kx;
        for (ky = ky0; ky < ky1; ky++) {
          const int8_t *xr = xc + (iy0 + ky) * in_w + ix0 + kx0;
          const int8_t *wr = w + ky * kw + kx0;
          for (kx = 0; kx < n; kx++) sxw += xr[kx] * wr[kx];
          if (!full)
            for (kx = 0; kx < n; kx++) sw += wr[kx];
        }
        yc[oy * p->out_w + ox] = store(p, bias + sxw - p->in_zp * (full ? wsum : sw), c);
      }
    }
  }
}

#if TT_DSP
/* Optimized path. Each channel's input rows are copied, as they are first needed, into a
 * stack buffer of padded rows: row[j] = x[iy][j − pad_l] inside the input, in_zp outside.
 * A padding tap then adds in_zp·w, and subtracting in_zp·Σw over the window's valid ROWS
 * (all kw columns) gives exactly the portable Σ x·w − in_zp·Σ w over the valid taps, so
 * every output takes the same branch-free code, and rows may be read past the input's
 * width. Rows outside the input are skipped: the loop over kernel rows covers the valid
 * ones only. The buffer holds a whole channel when it is small, else a window of rows
 * that restarts (reloading the rows still needed) when it is full; either way the rows
 * of one output row are contiguous.
 *
 * Four adjacent outputs are computed at once. A word of 4 input bytes gives, with SXTB16
 * and SXTB16 ROR 8, the int16 lanes (x0,x2) and (x1,x3); the kernel row is packed as the
 * lane pairs (w0,w2), (w1,w3), (w4,w6) and a single tap as (w,0) and (0,w), so one SMLAD
 * does two taps of one output, or the single tap from either lane. Words are read at byte
 * offsets 0,2,4,.. from the block start; their lanes serve several outputs.
 *
 * Requantization: when the channel allows it (multiplier >= 0, -31 <= shift <= -1,
 * |bias| <= 2^29, so |acc| < 2^29 + 2^21 as |Σ (x − in_zp)·w| <= 255·128·49), the weights
 * are packed doubled, the sums are t = 2·acc, srdhm(acc, m) = floor((t·m + 2^31) / 2^32)
 * and rdbpot(x, e) = (x + 2^(e−1) + (x<0 ? −1 : 0)) >> e, where the sign of acc may stand
 * for the sign of x (they differ only when x == 0, where both give 0). One SMMLAR gives
 * srdhm + 2^(e−1), and with the full int8 clamp and e <= 22 also + out_zp·2^e; then an
 * add, a shift and SSAT. Other channels sum undoubled weights and call tt_requantize.
 *
 * Stack: the rows buffer (at most DW_BUF_BYTES, or kh rows up to DW_BUF_MAX; MCUNet
 * 1.5 KB: whole 32x32 channels, 22 rows of 64 wide ones, so that few rows are copied
 * twice; still below the pointwise buffer) plus about 0.5 KB of frames and tables. */
#define DW_MAX_KH 7
#define DW_BUF_BYTES 1536 /* rows buffer when the channel does not fit: a window of rows */
#define DW_BUF_MAX 1536   /* larger rows (kh of them) take the portable path */

typedef struct {
  /* 0: tt_requantize; 1: fast, out_zp folded into rnd (e <= 22), clamp -128..127 (SSAT);
   * 2: fast, clamp act_min..act_max */
  int32_t mode;
  int32_t m, e, rnd, shift, zp, lo, hi;
} dw_rq_t;

/* srdhm then the rounding shift, from the doubled sum t = 2·acc (modes 1 and 2). In mode 1
 * rnd also holds out_zp·2^e: (a >> e) + zp == (a + zp·2^e) >> e while nothing overflows
 * (|x| <= |acc| < 2^29 + 2^21, 2^(e−1) <= 2^21, |zp·2^e| <= 2^29). */
static inline int32_t dw_fast(int32_t t, int32_t m, int32_t e, int32_t rnd) {
  return (tt_smmlar(t, m, rnd) + (t >> 31)) >> e;
}

/* One output from the block's sum t (2·acc in the fast modes, acc in mode 0). */
static inline int8_t dw_out(const dw_rq_t *q, int32_t t) {
  if (q->mode == 1) return (int8_t)tt_ssat8(dw_fast(t, q->m, q->e, q->rnd));
  if (q->mode == 2) return (int8_t)tt_clamp_i32(dw_fast(t, q->m, q->e, q->rnd) + q->zp, q->lo, q->hi);
  return (int8_t)(tt_clamp_i32(tt_requantize(t, q->m, q->shift), q->lo - q->zp, q->hi - q->zp) + q->zp);
}

/* Stores 4 outputs in mode 1 (the common case), the constants loaded once. */
static inline void dw_store4_fast(const dw_rq_t *q, int8_t *y, int32_t a0, int32_t a1, int32_t a2, int32_t a3) {
  const int32_t m = q->m, e = q->e, rnd = q->rnd;
  y[0] = (int8_t)tt_ssat8(dw_fast(a0, m, e, rnd));
  y[1] = (int8_t)tt_ssat8(dw_fast(a1, m, e, rnd));
  y[2] = (int8_t)tt_ssat8(dw_fast(a2, m, e, rnd));
  y[3] = (int8_t)tt_ssat8(dw_fast(a3, m, e, rnd));
}

/* Stores the block's first n (1..4) outputs, any mode. */
static void dw_store4(const dw_rq_t *q, int8_t *y, int32_t n, int32_t a0, int32_t a1, int32_t a2, int32_t a3) {
  y[0] = dw_out(q, a0);
  if (n > 1) y[1] = dw_out(q, a1);
  if (n > 2) y[2] = dw_out(q, a2);
  if (n > 3) y[3] = dw_out(q, a3);
}

typedef struct {
  /* layer */
  int8_t *buf;  /* padded rows, wp bytes apart; buf + pad_l is 4-byte aligned */
  int32_t cap, wp, pl, in_h, in_w, kh, sh, pt, out_h, out_w, zp;
  int32_t out_zp, act_min, act_max;
  /* channel */
  const int8_t *x, *w;
  int8_t *y;
  int32_t bias, m, shift;
  int32_t first, next; /* buf holds input rows [first, next) */
} dw_ctx_t;

/* The channel's requantization mode and constants; returns the weights' factor (2 in the
 * fast modes, whose sums are 2·acc). */
static int32_t dw_rq_setup(const dw_ctx_t *c, dw_rq_t *q) {
  const int32_t e = c->shift <= -1 && c->shift >= -31 ? -c->shift : 0;
  q->m = c->m;
  q->shift = c->shift;
  q->zp = c->out_zp;
  q->lo = c->act_min;
  q->hi = c->act_max;
  q->e = e;
  q->rnd = e ? (int32_t)(1u << (e - 1)) : 0;
  q->mode = c->m >= 0 && e && c->bias <= (1 << 29) && c->bias >= -(1 << 29) ? 2 : 0;
  if (q->mode && e <= 22 && q->lo == -128 && q->hi == 127) {
    q->mode = 1;
    q->rnd += q->zp * (1 << e);
  }
  return q->mode ? 2 : 1;
}

/* Hides a value from the optimizer so that a copy loop stays a loop: GCC turns plain copy
 * loops into memcpy/memmove calls, and the kernels call no library function. */
#if defined(__GNUC__)
#define DW_OPAQUE(v) __asm__("" : "+r"(v))
#else
#define DW_OPAQUE(v) (void)0
#endif

static inline void dw_copy(int8_t *dst, const int8_t *src, int32_t n) {
  int32_t j = 0;
  for (; j + 8 <= n; j += 8) {
    uint32_t v0 = tt_read_u32(src + j), v1 = tt_read_u32(src + j + 4);
    DW_OPAQUE(v0);
    DW_OPAQUE(v1);
    memcpy(dst + j, &v0, 4);
    memcpy(dst + j + 4, &v1, 4);
  }
  if (j + 4 <= n) {
    uint32_t v = tt_read_u32(src + j);
    DW_OPAQUE(v);
    memcpy(dst + j, &v, 4);
    j += 4;
  }
  if (n & 3)
    for (; j < n; j++) {
      int32_t v = src[j];
      DW_OPAQUE(v);
      dst[j] = (int8_t)v;
    }
}

/* Makes input rows [lo, hi) (hi − lo <= cap) contiguous in the buffer; returns row lo. */
static const int8_t *dw_rows(dw_ctx_t *c, int32_t lo, int32_t hi) {
  int32_t iy;
  if (lo >= c->next || hi - c->first > c->cap) c->first = c->next = lo;
  for (iy = c->next; iy < hi; iy++) dw_copy(c->buf + (iy - c->first) * c->wp + c->pl, c->x + iy * c->in_w, c->in_w);
  if (hi > c->next) c->next = hi;
  return c->buf + (lo - c->first) * c->wp;
}

/* (a, b) int16 lanes doubled when d == 1: a shift that drops the bit the low lane carries
 * into the high one. */
static inline uint32_t dw_dbl(uint32_t v, int32_t d) { return d ? (v << 1) & 0xFFFEFFFFu : v; }

/* The kernel rows packed for STEP (NW words each, doubled when f == 2) and csum[k], the
 * sum of the weights of the kernel rows < k. Kernel rows but the last are read as words
 * (their extra bytes are the next row's); the last one byte by byte. Inline with kw and
 * f constant. */
static inline void dw_table(const int8_t *w, int32_t kh, int32_t kw, int32_t f, uint32_t *wt, int32_t *csum) {
  const int32_t d = f - 1; /* weights << d */
  int32_t ky, sum = 0;
  csum[0] = 0;
  for (ky = 0; ky < kh - 1; ky++, w += kw) {
    const uint32_t v0 = tt_read_u32(w), a = tt_sxtb16(v0), b = tt_sxtb16_ror8(v0);
    sum += tt_smuad(a, 0x00010001u);
    *wt++ = dw_dbl(a, d);
    if (kw == 3) {
      const uint32_t w1 = (uint32_t)(int16_t)b << d;
      sum += (int16_t)b;
      *wt++ = (uint16_t)w1;
      *wt++ = w1 << 16;
    } else {
      const uint32_t v1 = tt_read_u32(w + 4);
      sum += tt_smuad(b, 0x00010001u);
      *wt++ = dw_dbl(b, d);
      if (kw == 5) {
        const uint32_t w4 = (uint32_t)(int8_t)v1 << d;
        sum += (int8_t)v1;
        *wt++ = (uint16_t)w4;
        *wt++ = w4 << 16;
      } else {
        const uint32_t a1 = tt_sxtb16(v1), b1 = tt_sxtb16_ror8(v1), w5 = (uint32_t)(int16_t)b1 << d;
        sum += tt_smuad(a1, 0x00010001u) + (int16_t)b1;
        *wt++ = dw_dbl(a1, d);
        *wt++ = (uint16_t)w5;
        *wt++ = w5 << 16;
      }
    }
    csum[ky + 1] = sum;
  }
  { /* the last kernel row */
    const uint32_t w0 = (uint32_t)w[0] << d, w1 = (uint32_t)w[1] << d, w2 = (uint32_t)w[2] << d;
    sum += w[0] + w[1] + w[2];
    *wt++ = tt_pack_lo(w0, w2);
    if (kw == 3) {
      *wt++ = (uint16_t)w1;
      *wt++ = w1 << 16;
    } else {
      const uint32_t w3 = (uint32_t)w[3] << d, w4 = (uint32_t)w[4] << d;
      sum += w[3] + w[4];
      *wt++ = tt_pack_lo(w1, w3);
      if (kw == 5) {
        *wt++ = (uint16_t)w4;
        *wt++ = w4 << 16;
      } else {
        const uint32_t w5 = (uint32_t)w[5] << d, w6 = (uint32_t)w[6] << d;
        sum += w[5] + w[6];
        *wt++ = tt_pack_lo(w4, w6);
        *wt++ = (uint16_t)w5;
        *wt++ = w5 << 16;
      }
    }
    csum[kh] = sum;
  }
}

/* What a channel's rows need besides dw_ctx_t. */
typedef struct {
  uint32_t wtab[DW_MAX_KH * ((7 + 3) / 2)]; /* packed weights, (kw + 3) / 2 words per kernel row */
  int32_t csum[DW_MAX_KH + 1];              /* csum[k] = Σ of the weights of kernel rows < k */
  int32_t f;                                /* 2 when the sums are doubled (fast modes) */
  int32_t full;                             /* the sums' start for windows of all kernel rows */
  int whole;                                /* the buffer holds the whole channel */
  dw_rq_t q;
} dw_chan_t;

/* The output rows of one channel, for one variant. Each row: the kernel rows it covers
 * (all but at the top and bottom edges), their input rows in the buffer, then blocks of
 * 4 outputs; STEP(r, w) adds one kernel row (r: its input at the block start, w: its packed
 * weights) to the block's sums c0..c3. With UNROLL3, rows of exactly 3 kernel rows unroll
 * them (with the row pitch a constant for MCUNet's 64, 32 and 16 wide inputs: GCC otherwise
 * keeps the pitch multiples on the stack). */
#define DW_CHAN(NAME, S, KW, STEP, UNROLL3)                                                        \
  static void NAME(dw_ctx_t *c, const dw_chan_t *cs) {                                             \
    enum { NW = ((KW) + 3) / 2 };                                                                  \
    const int32_t out_w = c->out_w, wp = c->wp, kh = c->kh;                                        \
    const dw_rq_t *const q = &cs->q;                                                               \
    int8_t *y = c->y;                                                                              \
    int32_t oy, iy0 = -c->pt;                                                                      \
    for (oy = c->out_h; oy > 0; oy--, iy0 += c->sh, y += out_w) {                                  \
      const int8_t *p = c->buf;                                                                    \
      const uint32_t *wt = cs->wtab;                                                               \
      int32_t nr = kh, off = cs->full;                                                             \
      if (iy0 >= 0 && iy0 + kh <= c->in_h) {                                                       \
        p = cs->whole ? c->buf + iy0 * wp : dw_rows(c, iy0, iy0 + kh);                             \
      } else {                                                                                     \
        int32_t ky0, ky1;                                                                          \
        tt_window_taps(iy0, kh, c->in_h, &ky0, &ky1);                                              \
        nr = ky1 > ky0 ? ky1 - ky0 : 0;                                                            \
        off = (int32_t)((uint32_t)c->bias * (uint32_t)cs->f);                                      \
        if (nr) {                                                                                  \
          p = cs->whole ? c->buf + (iy0 + ky0) * wp : dw_rows(c, iy0 + ky0, iy0 + ky1);            \
          wt += ky0 * NW;                                                                          \
          off = (int32_t)(((uint32_t)c->bias - (uint32_t)c->zp * (uint32_t)(cs->csum[ky1] - cs->csum[ky0])) * \
                          (uint32_t)cs->f);                                                        \
        }                                                                                          \
      }                                                                                            \
      if ((UNROLL3) && nr == 3 && wp == 68) { /* MCUNet's 64 wide rows: offsets as immediates */ \
        DW_BLOCKS(S, STEP(r, wt); STEP(r + 68, wt + NW); STEP(r + 2 * 68, wt + 2 * NW))            \
      } else if ((UNROLL3) && nr == 3 && wp == 36) { /* 32 wide */                                 \
        DW_BLOCKS(S, STEP(r, wt); STEP(r + 36, wt + NW); STEP(r + 2 * 36, wt + 2 * NW))            \
      } else if ((UNROLL3) && nr == 3 && wp == 20) { /* 16 wide */                                 \
        DW_BLOCKS(S, STEP(r, wt); STEP(r + 20, wt + NW); STEP(r + 2 * 20, wt + 2 * NW))            \
      } else if ((KW) == 7 && (S) == 2 && nr == 7 && wp == 40) { /* block 3: 32 wide, 7x7 */     \
        DW_BLOCKS(S, STEP(r, wt); STEP(r + 40, wt + NW); STEP(r + 2 * 40, wt + 2 * NW);            \
                  STEP(r + 3 * 40, wt + 3 * NW); STEP(r + 4 * 40, wt + 4 * NW);                    \
                  STEP(r + 5 * 40, wt + 5 * NW); STEP(r + 6 * 40, wt + 6 * NW))                    \
      } else if ((UNROLL3) && nr == 3) {                                                           \
        DW_BLOCKS(S, STEP(r, wt); STEP(r + wp, wt + NW); STEP(r + 2 * wp, wt + 2 * NW))            \
      } else {                                                                                     \
        DW_BLOCKS(S, {                                                                             \
          const int8_t *rr = r;                                                                    \
          const uint32_t *w = wt;                                                                  \
          int32_t i;                                                                               \
          for (i = nr; i > 0; i--, rr += wp, w += NW) STEP(rr, w);                                 \
        })                                                                                         \
      }                                                                                            \
    }                                                                                              \
  }

/* The blocks of one output row y[0..out_w) from the input rows at p. The full blocks of a
 * mode 1 channel take the short store; the rest, and a partial last block, the general one. */
#define DW_BLOCKS(S, STEPS)                                                                        \
  {                                                                                                \
    int8_t *yy = y, *const yfull = y + (out_w & ~3), *const yend = y + out_w;                      \
    const int8_t *r = p;                                                                           \
    if (q->mode == 1)                                                                              \
      for (; yy != yfull; yy += 4, r += 4 * (S)) {                                                 \
        int32_t c0 = off, c1 = off, c2 = off, c3 = off;                                            \
        STEPS;                                                                                     \
        dw_store4_fast(q, yy, c0, c1, c2, c3);                                                     \
      }                                                                                            \
    for (; yy < yend; yy += 4, r += 4 * (S)) {                                                     \
      int32_t c0 = off, c1 = off, c2 = off, c3 = off;                                              \
      STEPS;                                                                                       \
      dw_store4(q, yy, yend - yy < 4 ? (int32_t)(yend - yy) : 4, c0, c1, c2, c3);                  \
    }                                                                                              \
  }

/* One channel: requantization constants, packed weights and input rows, then the rows. */
static void dw_channel(dw_ctx_t *c, int32_t kw, void (*chan)(dw_ctx_t *, const dw_chan_t *)) {
  const int32_t kh = c->kh, in_h = c->in_h;
  dw_chan_t cs;
  cs.f = dw_rq_setup(c, &cs.q);
  cs.whole = c->cap >= in_h;
  /* kw and f constant in each call */
  if (cs.f == 2) {
    if (kw == 3) dw_table(c->w, kh, 3, 2, cs.wtab, cs.csum);
    else if (kw == 5) dw_table(c->w, kh, 5, 2, cs.wtab, cs.csum);
    else dw_table(c->w, kh, 7, 2, cs.wtab, cs.csum);
  } else {
    if (kw == 3) dw_table(c->w, kh, 3, 1, cs.wtab, cs.csum);
    else if (kw == 5) dw_table(c->w, kh, 5, 1, cs.wtab, cs.csum);
    else dw_table(c->w, kh, 7, 1, cs.wtab, cs.csum);
  }
  cs.full = (int32_t)(((uint32_t)c->bias - (uint32_t)c->zp * (uint32_t)cs.csum[kh]) * (uint32_t)cs.f);
  if (cs.whole) { /* the whole channel at once */
    const int32_t in_w = c->in_w, wp = c->wp;
    const int8_t *src = c->x, *const end = src + in_h * in_w;
    int8_t *dst = c->buf + c->pl;
    if (in_w & 3) {
      for (; src != end; src += in_w, dst += wp) dw_copy(dst, src, in_w);
    } else if (in_w & 15) { /* whole words */
      for (; src != end; dst += wp - in_w) {
        const int8_t *const row_end = src + in_w;
        for (; src != row_end; src += 4, dst += 4) {
          uint32_t v = tt_read_u32(src);
          DW_OPAQUE(v);
          memcpy(dst, &v, 4);
        }
      }
    } else { /* 4 words at a time (MCUNet's 16..64 wide planes) */
      for (; src != end; dst += wp - in_w) {
        const int8_t *const row_end = src + in_w;
        for (; src != row_end; src += 16, dst += 16) {
          uint32_t v0 = tt_read_u32(src), v1 = tt_read_u32(src + 4), v2 = tt_read_u32(src + 8),
                   v3 = tt_read_u32(src + 12);
          DW_OPAQUE(v0);
          DW_OPAQUE(v1);
          DW_OPAQUE(v2);
          DW_OPAQUE(v3);
          memcpy(dst, &v0, 4);
          memcpy(dst + 4, &v1, 4);
          memcpy(dst + 8, &v2, 4);
          memcpy(dst + 12, &v3, 4);
        }
      }
    }
  }
  c->first = 0;
  c->next = cs.whole ? in_h : 0;
  chan(c, &cs);
}

#define LD(o) tt_read_u32(r_ + (o))
#define SMLAD(a, b, c) tt_smlad((a), (b), (c))

/* 3 taps, stride 1. Words at +0 (x0..x3) and +2 (x2..x5); w = (w0,w2), (w1,0), (0,w1). */
#define K3S1(r, w)                                                                         \
  do {                                                                                     \
    const uint32_t v0_ = tt_read_u32(r), v2_ = tt_read_u32((r) + 2);                       \
    const uint32_t w02_ = (w)[0], w1l_ = (w)[1], w1h_ = (w)[2];                            \
    const uint32_t a0_ = tt_sxtb16(v0_), b0_ = tt_sxtb16_ror8(v0_);                        \
    const uint32_t a2_ = tt_sxtb16(v2_), b2_ = tt_sxtb16_ror8(v2_);                        \
    c0 = tt_smlad(b0_, w1l_, tt_smlad(a0_, w02_, c0)); /* x0 x2, x1 */                   \
    c1 = tt_smlad(a0_, w1h_, tt_smlad(b0_, w02_, c1)); /* x1 x3, x2 */                   \
    c2 = tt_smlad(b2_, w1l_, tt_smlad(a2_, w02_, c2)); /* x2 x4, x3 */                   \
    c3 = tt_smlad(a2_, w1h_, tt_smlad(b2_, w02_, c3)); /* x3 x5, x4 */                   \
  } while (0)

/* 3 taps, stride 2: output d reads x[2d .. 2d+2]. */
#define K3S2(r, w)                                                                         \
  do {                                                                                     \
    const uint32_t v0_ = tt_read_u32(r), v4_ = tt_read_u32((r) + 4);                       \
    const uint32_t w02_ = (w)[0], w1l_ = (w)[1], w1h_ = (w)[2];                            \
    const uint32_t b0_ = tt_sxtb16_ror8(v0_), b4_ = tt_sxtb16_ror8(v4_);                   \
    c0 = tt_smlad(b0_, w1l_, tt_smlad(tt_sxtb16(v0_), w02_, c0));               /* x0 x2, x1 */ \
    c1 = tt_smlad(b0_, w1h_, tt_smlad(tt_sxtb16(tt_read_u32((r) + 2)), w02_, c1)); /* x2 x4, x3 */ \
    c2 = tt_smlad(b4_, w1l_, tt_smlad(tt_sxtb16(v4_), w02_, c2));               /* x4 x6, x5 */ \
    c3 = tt_smlad(b4_, w1h_, tt_smlad(tt_sxtb16(tt_read_u32((r) + 6)), w02_, c3)); /* x6 x8, x7 */ \
  } while (0)

/* 5 taps, stride 1; w = (w0,w2), (w1,w3), (w4,0), (0,w4). */
#define K5S1(r, w)                                                                         \
  do {                                                                                     \
    const int8_t *const r_ = (r);                                                          \
    const uint32_t *const w_ = (w);                                                        \
    const uint32_t w02 = w_[0], w13 = w_[1];                                               \
    uint32_t v = LD(0), a = tt_sxtb16(v), b = tt_sxtb16_ror8(v), k; /* (x0,x2) (x1,x3) */  \
    c0 = SMLAD(b, w13, SMLAD(a, w02, c0));                                                 \
    c1 = SMLAD(b, w02, c1);                                                                \
    v = LD(2); a = tt_sxtb16(v); b = tt_sxtb16_ror8(v);             /* (x2,x4) (x3,x5) */  \
    c1 = SMLAD(a, w13, c1);                                                                \
    c2 = SMLAD(b, w13, SMLAD(a, w02, c2));                                                 \
    c3 = SMLAD(b, w02, c3);                                                                \
    v = LD(4); a = tt_sxtb16(v); b = tt_sxtb16_ror8(v);             /* (x4,x6) (x5,x7) */  \
    c3 = SMLAD(a, w13, c3);                                                                \
    k = w_[2];                                                                             \
    c0 = SMLAD(a, k, c0); /* x4 */                                                         \
    c1 = SMLAD(b, k, c1); /* x5 */                                                         \
    k = w_[3];                                                                             \
    c2 = SMLAD(a, k, c2); /* x6 */                                                         \
    c3 = SMLAD(b, k, c3); /* x7 */                                                         \
  } while (0)

/* 5 taps, stride 2: output d reads x[2d .. 2d+4]. */
#define K5S2(r, w)                                                                     \
  do {                                                                                 \
    const int8_t *const r_ = (r);                                                      \
    const uint32_t *const w_ = (w);                                                    \
    const uint32_t w02 = w_[0], w13 = w_[1], w4h = w_[3];                              \
    uint32_t v = LD(0), a = tt_sxtb16(v);                                              \
    c0 = SMLAD(tt_sxtb16_ror8(v), w13, SMLAD(a, w02, c0));              /* x0..x3 */   \
    v = LD(2);                                                                         \
    c1 = SMLAD(tt_sxtb16_ror8(v), w13, SMLAD(tt_sxtb16(v), w02, c1));   /* x2..x5 */   \
    v = LD(4); a = tt_sxtb16(v);                                        /* (x4,x6) */  \
    c0 = SMLAD(a, w_[2], c0);                                            /* x4 */      \
    c1 = SMLAD(a, w4h, c1);                                             /* x6 */       \
    c2 = SMLAD(tt_sxtb16_ror8(v), w13, SMLAD(a, w02, c2));              /* x4..x7 */   \
    v = LD(6); a = tt_sxtb16(v);                                        /* (x6,x8) */  \
    c2 = SMLAD(a, w4h, c2);                                             /* x8 */       \
    c3 = SMLAD(tt_sxtb16_ror8(v), w13, SMLAD(a, w02, c3));              /* x6..x9 */   \
    c3 = SMLAD(tt_sxtb16(LD(8)), w4h, c3);                              /* x10 */      \
  } while (0)

/* 7 taps, stride 1; w = (w0,w2), (w1,w3), (w4,w6), (w5,0), (0,w5). */
#define K7S1(r, w)                                                                                 \
  do {                                                                                             \
    const int8_t *const r_ = (r);                                                                  \
    const uint32_t *const w_ = (w);                                                                \
    uint32_t v = LD(0), a = tt_sxtb16(v), b = tt_sxtb16_ror8(v), k = w_[0]; /* (x0,x2) (x1,x3) */  \
    c0 = SMLAD(a, k, c0);                                                                          \
    c1 = SMLAD(b, k, c1);                                                                          \
    k = w_[1];                                                                                     \
    c0 = SMLAD(b, k, c0);                                                                          \
    v = LD(2); a = tt_sxtb16(v); b = tt_sxtb16_ror8(v); /* (x2,x4) (x3,x5) */                      \
    c1 = SMLAD(a, k, c1);                                                                          \
    c2 = SMLAD(b, k, c2);                                                                          \
    k = w_[0];                                                                                     \
    c2 = SMLAD(a, k, c2);                                                                          \
    c3 = SMLAD(b, k, c3);                                                                          \
    v = LD(4); a = tt_sxtb16(v); b = tt_sxtb16_ror8(v); /* (x4,x6) (x5,x7) */                      \
    c3 = SMLAD(a, w_[1], c3);                                                                      \
    c0 = SMLAD(b, w_[3], c0); /* x5 */                                                             \
    k = w_[4];                                                                                     \
    c1 = SMLAD(a, k, c1);    /* x6 */                                                              \
    c2 = SMLAD(b, k, c2);    /* x7 */                                                              \
    k = w_[2];                                                                                     \
    c0 = SMLAD(a, k, c0);                                                                          \
    c1 = SMLAD(b, k, c1);                                                                          \
    v = LD(6); a = tt_sxtb16(v); b = tt_sxtb16_ror8(v); /* (x6,x8) (x7,x9) */                      \
    c2 = SMLAD(a, k, c2);                                                                          \
    c3 = SMLAD(a, w_[4], SMLAD(b, k, c3)); /* x7 x9, x8 */                                         \
  } while (0)

/* 7 taps, stride 2: output d reads x[2d .. 2d+6]. */
#define K7S2(r, w)                                                                          \
  do {                                                                                      \
    const int8_t *const r_ = (r);                                                           \
    const uint32_t *const w_ = (w);                                                         \
    uint32_t v = LD(0), k0 = w_[0], k1 = w_[1], a, b;                                       \
    c0 = SMLAD(tt_sxtb16_ror8(v), k1, SMLAD(tt_sxtb16(v), k0, c0)); /* x0..x3 */            \
    v = LD(2);                                                                              \
    c1 = SMLAD(tt_sxtb16_ror8(v), k1, SMLAD(tt_sxtb16(v), k0, c1)); /* x2..x5 */            \
    v = LD(4); a = tt_sxtb16(v); b = tt_sxtb16_ror8(v);              /* (x4,x6) (x5,x7) */  \
    c2 = SMLAD(b, k1, SMLAD(a, k0, c2));                                                    \
    k0 = w_[2];                                                                             \
    c0 = SMLAD(b, w_[3], SMLAD(a, k0, c0)); /* x4 x6, x5 */                                 \
    c1 = SMLAD(b, w_[4], c1);               /* x7 */                                        \
    v = LD(6); a = tt_sxtb16(v);           /* (x6,x8) */                                    \
    c1 = SMLAD(a, k0, c1);                                                                  \
    c3 = SMLAD(tt_sxtb16_ror8(v), w_[1], SMLAD(a, w_[0], c3)); /* x6..x9 */                 \
    v = LD(8); a = tt_sxtb16(v); b = tt_sxtb16_ror8(v);      /* (x8,x10) (x9,x11) */        \
    c2 = SMLAD(b, w_[3], SMLAD(a, k0, c2));                   /* x8 x10, x9 */              \
    c3 = SMLAD(b, w_[4], SMLAD(tt_sxtb16(LD(10)), k0, c3));   /* x10 x12, x11 */            \
  } while (0)
DW_CHAN(dw_chan_k3s1, 1, 3, K3S1, 1)
DW_CHAN(dw_chan_k3s2, 2, 3, K3S2, 1)
DW_CHAN(dw_chan_k5s1, 1, 5, K5S1, 0)
DW_CHAN(dw_chan_k5s2, 2, 5, K5S2, 0)
DW_CHAN(dw_chan_k7s1, 1, 7, K7S1, 0)
DW_CHAN(dw_chan_k7s2, 2, 7, K7S2, 0)
#undef LD
#undef SMLAD

/* 4x4 planes, stride 1, 'same' padding (MCUNet's last stage: kernels 3 and 5), mode 1
 * channels: no rows buffer. An input row is one word; the lane pairs the K3S1/K5S1 steps
 * read from its padded copy (in_zp on both sides) are its SXTB16 lanes A = (x0,x2),
 * B = (x1,x3), or those packed with Z = (in_zp,in_zp): K = 3 reads [zp x0 x1 x2 x3 zp],
 * words (zp,x1) (x0,x2) (x1,x3) (x2,zp); K = 5 reads [zp zp x0 x1 x2 x3 zp zp], words
 * (zp,x0) (zp,x1) (x0,x2) (x1,x3) (x2,zp) (x3,zp). This saves the channel copy, the rows
 * bookkeeping and the unaligned reads, which dominate such small planes. Returns 0
 * (nothing written) when the channel is not mode 1. */
static inline int dw_plane4(const dw_ctx_t *c, const int32_t K) {
  enum { NWMAX = 4 };
  const int32_t NW = (K + 3) / 2, pad = K / 2;
  uint32_t wt[5 * NWMAX];
  int32_t csum[5 + 1], oy;
  dw_rq_t q;
  const uint32_t Z = tt_pack_lo((uint32_t)c->zp, (uint32_t)c->zp);
  if (dw_rq_setup(c, &q) != 2 || q.mode != 1) return 0;
  dw_table(c->w, K, K, 2, wt, csum);
  /* unrolled: each output row's kernel rows, offsets and table reads become constants */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
#pragma GCC unroll 4
#endif
  for (oy = 0; oy < 4; oy++) {
    const int32_t iy0 = oy - pad, ky0 = iy0 < 0 ? -iy0 : 0, ky1 = iy0 + K > 4 ? 4 - iy0 : K;
    const int32_t off = (int32_t)(((uint32_t)c->bias - (uint32_t)c->zp * (uint32_t)(csum[ky1] - csum[ky0])) * 2u);
    const int8_t *r = c->x + 4 * (iy0 + ky0);
    const uint32_t *w = wt + ky0 * NW;
    int32_t c0 = off, c1 = off, c2 = off, c3 = off, ky;
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
#pragma GCC unroll 5
#endif
    for (ky = ky0; ky < ky1; ky++, r += 4, w += NW) {
      const uint32_t v = tt_read_u32(r), A = tt_sxtb16(v), B = tt_sxtb16_ror8(v);
      if (K == 3) {
        const uint32_t a0 = tt_pack_lo(Z, B), b2 = tt_pack_hi(A, Z), w02 = w[0], w1l = w[1], w1h = w[2];
        c0 = tt_smlad(A, w1l, tt_smlad(a0, w02, c0)); /* zp x1, x0 */
        c1 = tt_smlad(a0, w1h, tt_smlad(A, w02, c1)); /* x0 x2, x1 */
        c2 = tt_smlad(b2, w1l, tt_smlad(B, w02, c2)); /* x1 x3, x2 */
        c3 = tt_smlad(B, w1h, tt_smlad(b2, w02, c3)); /* x2 zp, x3 */
      } else {
        const uint32_t w02 = w[0], w13 = w[1], a0 = tt_pack_lo(Z, A), b0 = tt_pack_lo(Z, B);
        const uint32_t a4 = tt_pack_hi(A, Z), b4 = tt_pack_hi(B, Z);
        /* as K5S1 with (a, b) = (a0, b0), (A, B), (a4, b4) */
        c0 = tt_smlad(b0, w13, tt_smlad(a0, w02, c0));
        c1 = tt_smlad(A, w13, tt_smlad(b0, w02, c1));
        c2 = tt_smlad(B, w13, tt_smlad(A, w02, c2));
        c3 = tt_smlad(a4, w13, tt_smlad(B, w02, c3));
        c0 = tt_smlad(a4, w[2], c0); /* (w4,0): p4 */
        c1 = tt_smlad(b4, w[2], c1); /* p5 */
        c2 = tt_smlad(a4, w[3], c2); /* (0,w4): p6 */
        c3 = tt_smlad(b4, w[3], c3); /* p7 */
      }
    }
    dw_store4_fast(&q, c->y + 4 * oy, c0, c1, c2, c3);
  }
  return 1;
}
__attribute__((noinline)) static int dw_plane4_k3(const dw_ctx_t *c) { return dw_plane4(c, 3); }
__attribute__((noinline)) static int dw_plane4_k5(const dw_ctx_t *c) { return dw_plane4(c, 5); }

/* 8x8 planes, stride 1, 'same' padding (MCUNet's blocks 6-9: kernels 3, 5, 7), or stride 2
 * to 4x4 (block 10: kernel 7), mode 1
 * channels: no rows buffer, as dw_plane4. An input row is two words; with L(i) the lane
 * pair (xp[i], xp[i+2]) of the padded row (xp[i] = x[i] for 0 <= i < 8, else in_zp),
 * output ox at kernel row ky adds L(i)·(w0,w2) [+ L(i+1)·(w1,w3)] [+ L(i+4)·(w4,w6)] and
 * the last odd tap, i = ox − K/2. L(0..5) are the SXTB16 lanes of the words at bytes 0, 2
 * and 4 of the row (all inside it); L(−2), L(−1), L(6), L(7) pack one lane with
 * Z = (in_zp,in_zp); beyond, Z. A single tap x[j] is the low lane of L(j) with (w,0), or
 * (j = 6, 7) the high lane of L(j − 2) with (0,w); at stride S, i = S·ox − K/2. Each row is
 * computed as blocks of 4 outputs (8 accumulators would spill). Returns 0 when the channel is not mode 1. */
typedef struct {
  uint32_t e0, o0, m0, n0, e1, o1, z; /* L(0), L(1), L(2), L(3), L(4), L(5), Z */
} dw_row8_t;

static inline uint32_t dw_l8(const dw_row8_t *v, int32_t i) {
  switch (i) {
    case -2: return tt_pack_lo(v->z, v->e0);
    case -1: return tt_pack_lo(v->z, v->o0);
    case 0: return v->e0;
    case 1: return v->o0;
    case 2: return v->m0;
    case 3: return v->n0;
    case 4: return v->e1;
    case 5: return v->o1;
    case 6: return tt_pack_hi(v->e1, v->z);
    case 7: return tt_pack_hi(v->o1, v->z);
    default: return v->z;
  }
}

/* Specialized per K (constant folding of the lane choice needs it inlined). */
#if defined(__GNUC__)
#define DW_INLINE inline __attribute__((always_inline))
#else
#define DW_INLINE inline
#endif
/* 4 outputs (from column 4·h of an output row) over kernel rows [ky0, ky1) of input rows
 * from r, weights from w. */
static DW_INLINE void dw_block8(const int8_t *r, const uint32_t *w, int32_t ky0, int32_t ky1, int32_t off,
                                uint32_t Z, const dw_rq_t *q, int8_t *y, const int32_t K, const int32_t S,
                                const int32_t h) {
  const int32_t NW = (K + 3) / 2, pad = K / 2;
  const int8_t *const rend = r + 8 * (ky1 - ky0);
  int32_t acc[4] = {off, off, off, off}, j;
  for (; r != rend; r += 8, w += NW) {
    dw_row8_t v;
    const uint32_t u0 = tt_read_u32(r), u2 = tt_read_u32(r + 2), u4 = tt_read_u32(r + 4);
    v.e0 = tt_sxtb16(u0); v.o0 = tt_sxtb16_ror8(u0);
    v.m0 = tt_sxtb16(u2); v.n0 = tt_sxtb16_ror8(u2);
    v.e1 = tt_sxtb16(u4); v.o1 = tt_sxtb16_ror8(u4);
    v.z = Z;
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
#pragma GCC unroll 4
#endif
    for (j = 0; j < 4; j++) {
      const int32_t i = S * (4 * h + j) - pad, t = i + (K == 3 ? 1 : K == 5 ? 4 : 5); /* t: the odd tap */
      int32_t a = tt_smlad(dw_l8(&v, i), w[0], acc[j]);
      if (K >= 5) a = tt_smlad(dw_l8(&v, i + 1), w[1], a);
      if (K == 7) a = tt_smlad(dw_l8(&v, i + 4), w[2], a);
      if (t == 6 || t == 7) a = tt_smlad(dw_l8(&v, t - 2), w[NW - 1], a);
      else a = tt_smlad(dw_l8(&v, t), w[NW - 2], a);
      acc[j] = a;
    }
  }
  dw_store4_fast(q, y + 4 * h, acc[0], acc[1], acc[2], acc[3]);
}

static DW_INLINE int dw_plane8(const dw_ctx_t *c, const int32_t K, const int32_t S) {
  enum { NWMAX = 5 };
  const int32_t NW = (K + 3) / 2, pad = K / 2;
  uint32_t wt[7 * NWMAX];
  int32_t csum[7 + 1], oy;
  dw_rq_t q;
  const uint32_t Z = tt_pack_lo((uint32_t)c->zp, (uint32_t)c->zp);
  if (dw_rq_setup(c, &q) != 2 || q.mode != 1) return 0;
  dw_table(c->w, K, K, 2, wt, csum);
  for (oy = 0; oy < 8 / S; oy++) {
    const int32_t iy0 = S * oy - pad, ky0 = iy0 < 0 ? -iy0 : 0, ky1 = iy0 + K > 8 ? 8 - iy0 : K;
    const int32_t off = (int32_t)(((uint32_t)c->bias - (uint32_t)c->zp * (uint32_t)(csum[ky1] - csum[ky0])) * 2u);
    const int8_t *const r = c->x + 8 * (iy0 + ky0);
    int8_t *const y = c->y + 8 / S * oy;
    dw_block8(r, wt + ky0 * NW, ky0, ky1, off, Z, &q, y, K, S, 0);
    if (S == 1) dw_block8(r, wt + ky0 * NW, ky0, ky1, off, Z, &q, y, K, S, 1);
  }
  return 1;
}
__attribute__((noinline)) static int dw_plane8_k3(const dw_ctx_t *c) { return dw_plane8(c, 3, 1); }
__attribute__((noinline)) static int dw_plane8_k5(const dw_ctx_t *c) { return dw_plane8(c, 5, 1); }
__attribute__((noinline)) static int dw_plane8_k7(const dw_ctx_t *c) { return dw_plane8(c, 7, 1); }
__attribute__((noinline)) static int dw_plane8_k7s2(const dw_ctx_t *c) { return dw_plane8(c, 7, 2); }

/* Bytes a 4-output block reads from its start, by kernel width and stride. */
static int32_t dw_block_reach(int32_t kw, int32_t s) {
  return kw == 3 ? (s == 1 ? 6 : 10) : kw == 5 ? (s == 1 ? 8 : 12) : (s == 1 ? 10 : 14);
}

/* Returns 0 (having written nothing) when the shape is not one it handles. */
static int dw_dsp(const tt_conv_params_t *p, const int8_t *x, int8_t *y) {
  const int32_t kh = p->kh, kw = p->kw, sw = p->stride_w, ksize = kh * kw;
  int32_t wp, cap, c, i, plane4, plane8;
  dw_ctx_t ctx;
  void (*chan)(dw_ctx_t *, const dw_chan_t *);
  if ((kw != 3 && kw != 5 && kw != 7) || (sw != 1 && sw != 2) || kh < 1 || kh > DW_MAX_KH || p->out_w < 1)
    return 0;
  /* Row width: the input with its left padding, and what the last block reads. */
  wp = 4 * sw * ((p->out_w - 1) / 4) + dw_block_reach(kw, sw);
  if (wp < p->pad_l + p->in_w) wp = p->pad_l + p->in_w;
  wp = (wp + 3) & ~3;
  cap = p->in_h;
  if (cap * wp > DW_BUF_BYTES) cap = DW_BUF_BYTES / wp > kh ? DW_BUF_BYTES / wp : kh;
  if (cap * wp > DW_BUF_MAX) return 0;
  chan = kw == 3 ? (sw == 1 ? dw_chan_k3s1 : dw_chan_k3s2)
       : kw == 5 ? (sw == 1 ? dw_chan_k5s1 : dw_chan_k5s2) : (sw == 1 ? dw_chan_k7s1 : dw_chan_k7s2);
  /* 4x4 'same' planes at stride 1 take dw_plane4 (kernels 3 and 5) */
  plane4 = p->in_h == 4 && p->in_w == 4 && p->out_h == 4 && p->out_w == 4 && p->stride_h == 1 && sw == 1 &&
           kh == kw && kw <= 5 && p->pad_t == kw / 2 && p->pad_l == kw / 2 ? kw : 0;
  /* 8x8 'same' planes at stride 1 take dw_plane8 (kernels 3, 5 and 7) */
  plane8 = p->in_h == 8 && p->in_w == 8 && p->out_h == 8 / sw && p->out_w == 8 / sw && p->stride_h == sw &&
           kh == kw && p->pad_t == kw / 2 && p->pad_l == kw / 2 ? kw * sw : 0;
  {
    uint32_t bufw[(cap * wp + 4) / 4]; /* MCUNet: <= DW_BUF_BYTES */
    const uint32_t fill = (uint32_t)(uint8_t)p->in_zp * 0x01010101u;
    for (i = 0; i < (cap * wp + 4) / 4; i++) bufw[i] = fill; /* the padding, kept by every row copy */
    ctx.buf = (int8_t *)bufw + ((4 - p->pad_l % 4) & 3);
    ctx.cap = cap; ctx.wp = wp; ctx.pl = p->pad_l; ctx.in_h = p->in_h; ctx.in_w = p->in_w; ctx.kh = kh;
    ctx.sh = p->stride_h; ctx.pt = p->pad_t; ctx.out_h = p->out_h; ctx.out_w = p->out_w; ctx.zp = p->in_zp;
    ctx.out_zp = p->out_zp; ctx.act_min = p->act_min; ctx.act_max = p->act_max;
    for (c = 0; c < p->out_c; c++) {
      ctx.w = tt_split_channel(p->weight, p->weight_train, p->in_slot, c, ksize);
      ctx.x = x + c * p->in_h * p->in_w;
      ctx.y = y + c * p->out_h * p->out_w;
      ctx.bias = p->bias ? p->bias[c] : 0;
      ctx.m = p->multiplier[c];
      ctx.shift = p->shift[c];
      if (plane4 == 3 ? dw_plane4_k3(&ctx) : plane4 == 5 ? dw_plane4_k5(&ctx) : 0) continue;
      if (plane8 == 3 ? dw_plane8_k3(&ctx) : plane8 == 5 ? dw_plane8_k5(&ctx) : plane8 == 7 ? dw_plane8_k7(&ctx)
          : plane8 == 14 ? dw_plane8_k7s2(&ctx) : 0)
        continue;
      dw_channel(&ctx, kw, chan);
    }
  }
  return 1;
}
#endif

void tt_depthwise_conv_s8(const tt_conv_params_t *p, const int8_t *x, int8_t *y) {
#if TT_DSP
  if (dw_dsp(p, x, y)) return;
#endif
  dw_portable(p, x, y);
}
