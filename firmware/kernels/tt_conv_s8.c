/* tt_conv_s8: int8 convolution, any groups (regular, grouped, depthwise with any channel
 * multiplier). Portable reference path; the specialized kernels must match it bit for bit.
 *
 * acc = bias + Σ (x − in_zp)·w over the taps that fall inside the input (padding adds
 * nothing). It is computed as Σ x·w − in_zp·Σ w, exact in integers, so the zero point
 * leaves the inner loop; Σ w is per output channel except on border windows, where only
 * the valid taps count. int32 holds acc while in_c/groups·kh·kw < 65536.
 *
 * With TT_DSP, groups == 1 and an im2col scratch (p->im2col) take cv_stem (in_c 3, 3x3,
 * stride_w 2: MCUNet's first conv) or cv_dsp below. */
#include "tt_kernels.h"
#include "tt_conv_geometry.h"
#include "tt_simd.h"

static int8_t store(const tt_conv_params_t *p, int32_t acc, int32_t oc) {
  /* Clamp before adding out_zp: the requantized value may be near INT32_MAX. */
  const int32_t v = tt_requantize(acc, p->multiplier[oc], p->shift[oc]);
  return (int8_t)(tt_clamp_i32(v, p->act_min - p->out_zp, p->act_max - p->out_zp) + p->out_zp);
}

/* Out of line: inlined into the dispatcher, GCC compiles this loop about 12% slower. */
__attribute__((noinline)) static void conv_portable(const tt_conv_params_t *p, const int8_t *x, int8_t *y) {
  const int32_t in_h = p->in_h, in_w = p->in_w, kh = p->kh, kw = p->kw;
  const int32_t icg = p->in_c / p->groups, ocg = p->out_c / p->groups;
  const int32_t plane = in_h * in_w, wsize = icg * kh * kw;
  int32_t oc;
  for (oc = 0; oc < p->out_c; oc++) {
    const int8_t *w = p->weight + oc * wsize;
    const int8_t *xg = x + (oc / ocg) * icg * plane;
    const int32_t bias = p->bias ? p->bias[oc] : 0;
    int32_t wsum = 0, i, oy, ox;
    for (i = 0; i < wsize; i++) wsum += w[i];
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
        int32_t sxw = 0, sw = 0, ic, ky, kx;
        for (ic = 0; ic < icg; ic++) {
          const int8_t *xc = xg + ic * plane;
          const int8_t *wc = w + ic * kh * kw;
          for (ky = ky0; ky < ky1; ky++) {
            const int8_t *xr = xc + (iy0 + ky) * in_w + ix0 + kx0;
            const int8_t *wr = wc + ky * kw + kx0;
            for (kx = 0; kx < n; kx++) sxw += xr[kx] * wr[kx];
            if (!full)
              for (kx = 0; kx < n; kx++) sw += wr[kx];
          }
        }
        y[(oc * p->out_h + oy) * p->out_w + ox] =
            store(p, bias + sxw - p->in_zp * (full ? wsum : sw), oc);
      }
    }
  }
}

#if TT_DSP
/* im2col path (groups == 1). Two output pixels at a time get their K = in_c·kh·kw taps as
 * int16 columns in p->im2col; padding taps hold in_zp, so that Σ_all c·w − in_zp·Σ_all w
 * equals the portable Σ x·w − in_zp·Σ w over the valid taps exactly. Then every pair of
 * output channels multiplies both columns: a weight word w[k..k+3] gives (w_k, w_k+2) and
 * (w_k+1, w_k+3) with SXTB16 / SXTB16 ROR 8, so the columns are stored in that order,
 * taps (k, k+2) in one word and (k+1, k+3) in the next, and one SMLAD does two taps.
 *
 * Layout of the scratch (K2 = K rounded up to even int16 per column, TT_IM2COL_BYTES):
 * per group of 4 taps, 4 words: A(k,k+2) A(k+1,k+3) B(k,k+2) B(k+1,k+3) for pixels A and
 * B. The K % 4 last taps: 1 tap: A(k,0) B(k,0); 2 taps: A(k,k+1) B(k,k+1); 3 taps:
 * A(k,k+2) A(k+1,0) B(k,k+2) B(k+1,0), a whole group with a zero 4th lane (the stem:
 * K = 27), run as one where a weight row follows to read the 4th byte from.
 *
 * Windows inside the input gather their taps as bytes (one word per kernel row when
 * kw <= 4), which SXTB16 turns into the lane words; border windows go tap by tap.
 *
 * Requantization as in tt_depthwise_conv_s8: for multiplier >= 0, -31 <= shift <= -1 and
 * |acc| < 2^30 (|bias| <= 2^29 and K < 16448: |Σ (x − in_zp)·w| <= 255·128·K < 2^29),
 * out = ssat8((SMMLAR(2·acc, m, 2^(e−1) + out_zp·2^e) + (acc<0 ? −1 : 0)) >> e) with
 * e = −shift <= 22 when the clamp is the full int8 range; other channels take
 * tt_requantize.
 *
 * Stack: about 0.9 KB (the constants of CV_CHUNK channels, two gathered windows). */
#define CV_CHUNK 16   /* output channels whose constants sit on the stack at a time */
#define CV_RAW_MAX 64  /* K up to which interior columns are gathered as bytes first */
#define CV_MAX_SEG 16  /* kernel rows (in_c·kh) of the word gather */

/* Hides a value from the optimizer so that a copy loop stays a loop (GCC turns plain copy
 * loops into memcpy calls, and the kernels call no library function). */
#if defined(__GNUC__)
#define CV_OPAQUE(v) __asm__("" : "+r"(v))
#else
#define CV_OPAQUE(v) (void)0
#endif

typedef struct {
  int32_t init;            /* bias − in_zp·Σw */
  int32_t m, e, rnd, mode; /* mode 0: tt_requantize; 1: fast, ssat; 2: fast, clamp */
  uint32_t t0, t1;         /* the K % 4 last weights, as the columns' last words */
} cv_ch_t;

static inline int8_t cv_out1(const cv_ch_t *c, int32_t acc) {
  return (int8_t)tt_ssat8((tt_smmlar((int32_t)((uint32_t)acc << 1), c->m, c->rnd) + (acc >> 31)) >> c->e);
}

static inline int8_t cv_out(const tt_conv_params_t *p, const cv_ch_t *c, int32_t acc, int32_t oc) {
  if (c->mode) {
    const int32_t t = (int32_t)((uint32_t)acc << 1);
    const int32_t v = (tt_smmlar(t, c->m, c->rnd) + (acc >> 31)) >> c->e;
    if (c->mode == 1) return (int8_t)tt_ssat8(v);
    return (int8_t)tt_clamp_i32(v + p->out_zp, p->act_min, p->act_max);
  }
  return store(p, acc, oc);
}

/* A column is written at cg (its group words cg[4g], cg[4g+1]) and ct (its last words). */

/* Column of output pixel (oy, ox), any pixel. */
static void cv_col_any(const tt_conv_params_t *p, const int8_t *x, int32_t oy, int32_t ox, uint32_t *cg,
                       uint32_t *ct, int32_t n4, int32_t rem) {
  const int32_t iy0 = oy * p->stride_h - p->pad_t, ix0 = ox * p->stride_w - p->pad_l;
  const int32_t in_h = p->in_h, in_w = p->in_w, zp = p->in_zp;
  int16_t *const hg = (int16_t *)(void *)cg, *const ht = (int16_t *)(void *)ct;
  int32_t ic, ky, kx, k = 0;
  if (rem == 1) ht[1] = 0;
  if (rem == 3) ht[3] = 0;
  for (ic = 0; ic < p->in_c; ic++)
    for (ky = 0; ky < p->kh; ky++) {
      const int32_t iy = iy0 + ky;
      for (kx = 0; kx < p->kw; kx++, k++) {
        const int32_t ix = ix0 + kx, g = k >> 2, r = k & 3;
        const int inside = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w;
        const int16_t v = (int16_t)(inside ? x[(ic * in_h + iy) * in_w + ix] : zp);
        /* taps (k, k+2) then (k+1, k+3); the last 2 taps of K % 4 == 2 in order */
        const int32_t h = rem == 2 && g == n4 ? r : ((r & 1) << 1) + (r >> 1);
        if (g < n4) hg[8 * g + h] = v;
        else ht[h] = v;
      }
    }
}

/* The taps of a window inside the input as bytes in natural order (K <= CV_RAW_MAX),
 * the bytes past K zero up to the next word. */
static void cv_gather(const tt_conv_params_t *p, const int8_t *x, int32_t oy, int32_t ox, uint32_t *raw,
                      int32_t n4) {
  const int32_t in_w = p->in_w, plane = p->in_h * in_w, kw = p->kw, kh = p->kh, ix0 = ox * p->stride_w - p->pad_l;
  const int8_t *xw = x + (oy * p->stride_h - p->pad_t) * in_w + ix0;
  int8_t *r = (int8_t *)raw;
  int32_t ic, ky, kx;
  raw[n4] = 0;
  if (kw <= 4 && ix0 + 4 <= in_w) {
    /* Each kernel row as one word; the next row's word overwrites the extra bytes. */
    for (ic = 0; ic < p->in_c; ic++, xw += plane) {
      const int8_t *xr = xw;
      for (ky = 0; ky < kh; ky++, xr += in_w, r += kw) {
        uint32_t v = tt_read_u32(xr);
        CV_OPAQUE(v);
        memcpy(r, &v, 4);
      }
    }
    memset(r, 0, 4); /* the extra bytes of the last row, past K */
  } else {
    for (ic = 0; ic < p->in_c; ic++, xw += plane) {
      const int8_t *xr = xw;
      for (ky = 0; ky < kh; ky++, xr += in_w)
        for (kx = 0; kx < kw; kx++) {
          int32_t v = xr[kx];
          CV_OPAQUE(v);
          *r++ = (int8_t)v;
        }
    }
  }
}

/* Both columns (pixel B == pixel A when there is only one), from the gathered bytes when
 * both windows lie inside the input. seg (NULL unless kw <= 4): the offsets of the
 * nseg = in_c·kh kernel rows in x. */
static void cv_columns(const tt_conv_params_t *p, const int8_t *x, int32_t oya, int32_t oxa, int32_t oyb,
                       int32_t oxb, uint32_t *col, uint32_t *ta, uint32_t *tb, int32_t n4, int32_t rem, int32_t K,
                       const int32_t *seg, int32_t nseg) {
  const int32_t kh = p->kh, kw = p->kw, sh = p->stride_h, sw = p->stride_w, pt = p->pad_t, pl = p->pad_l;
  const int32_t iya = oya * sh - pt, ixa = oxa * sw - pl, iyb = oyb * sh - pt, ixb = oxb * sw - pl;
  if (K <= CV_RAW_MAX && iya >= 0 && iya + kh <= p->in_h && ixa >= 0 && ixa + kw <= p->in_w && iyb >= 0 &&
      iyb + kh <= p->in_h && ixb >= 0 && ixb + kw <= p->in_w) {
    uint32_t ra[CV_RAW_MAX / 4 + 2], rb[CV_RAW_MAX / 4 + 2]; /* + the word copies' overrun */
    /* With K % 4 == 3 the last 3 taps are a whole group (a zero 4th lane): same layout. */
    const int32_t ng = n4 + (rem == 3);
    int32_t g;
    if (seg && ixa + 4 <= p->in_w && ixb + 4 <= p->in_w) {
      /* kw <= 4: each kernel row as one word per pixel; the next row's word overwrites
       * the extra bytes. */
      const int8_t *const xa = x + iya * p->in_w + ixa, *const xb = x + iyb * p->in_w + ixb;
      int8_t *a = (int8_t *)ra, *b = (int8_t *)rb;
      int32_t k;
      for (k = 0; k < nseg; k++, a += kw, b += kw) {
        uint32_t va = tt_read_u32(xa + seg[k]), vb = tt_read_u32(xb + seg[k]);
        CV_OPAQUE(va);
        CV_OPAQUE(vb);
        memcpy(a, &va, 4);
        memcpy(b, &vb, 4);
      }
      memset(a, 0, 4); /* the extra bytes past K */
      memset(b, 0, 4);
    } else {
      cv_gather(p, x, oya, oxa, ra, n4);
      cv_gather(p, x, oyb, oxb, rb, n4);
    }
    for (g = 0; g < ng; g++, col += 4) {
      const uint32_t va = ra[g], vb = rb[g];
      col[0] = tt_sxtb16(va);
      col[1] = tt_sxtb16_ror8(va);
      col[2] = tt_sxtb16(vb);
      col[3] = tt_sxtb16_ror8(vb);
    }
    if (rem == 1) {
      ta[0] = tt_sxtb16(ra[n4]);
      tb[0] = tt_sxtb16(rb[n4]);
    }
    if (rem == 2) {
      ta[0] = tt_pack_lo(tt_sxtb16(ra[n4]), tt_sxtb16_ror8(ra[n4]));
      tb[0] = tt_pack_lo(tt_sxtb16(rb[n4]), tt_sxtb16_ror8(rb[n4]));
    }
  } else {
    cv_col_any(p, x, oya, oxa, col, ta, n4, rem);
    cv_col_any(p, x, oyb, oxb, col + 2, tb, n4, rem);
  }
}

/* The last K % 4 taps of one weight row as the words matching the columns' last words. */
static void cv_wtail(const int8_t *w, int32_t rem, uint32_t *t0, uint32_t *t1) {
  *t0 = *t1 = 0;
  if (rem == 1) *t0 = (uint16_t)w[0];
  if (rem == 2) *t0 = (uint16_t)w[0] | (uint32_t)(uint16_t)w[1] << 16;
  if (rem == 3) {
    *t0 = (uint16_t)w[0] | (uint32_t)(uint16_t)w[2] << 16;
    *t1 = (uint16_t)w[1];
  }
}

/* The sums of weight rows w0, w1 times columns A, B (a00: w0·A, a01: w0·B, a10: w1·A,
 * a11: w1·B) over the column groups from cp to ce. */
__attribute__((always_inline)) static inline void cv_mac(const uint32_t *cp, const uint32_t *ce, const int8_t *w0,
                                                         const int8_t *w1, int32_t *a00, int32_t *a01,
                                                         int32_t *a10, int32_t *a11) {
  for (; cp != ce; cp += 4, w0 += 4, w1 += 4) {
    const uint32_t xa0 = cp[0], xa1 = cp[1], xb0 = cp[2], xb1 = cp[3];
    uint32_t v = tt_read_u32(w0), lo = tt_sxtb16(v), hi = tt_sxtb16_ror8(v);
    *a00 = tt_smlad(hi, xa1, tt_smlad(lo, xa0, *a00));
    *a01 = tt_smlad(hi, xb1, tt_smlad(lo, xb0, *a01));
    v = tt_read_u32(w1);
    lo = tt_sxtb16(v);
    hi = tt_sxtb16_ror8(v);
    *a10 = tt_smlad(hi, xa1, tt_smlad(lo, xa0, *a10));
    *a11 = tt_smlad(hi, xb1, tt_smlad(lo, xb0, *a11));
  }
}

/* n pairs of output channels (rows w, w + K; constants ch[0], ch[1]; outputs y, y + npix),
 * both pixels, all channels in mode 1: the common case, with little state besides the
 * 4 sums. The columns' ng groups run from col to ce. */
static void cv_pairs_fast(const uint32_t *col, const uint32_t *ce, const int8_t *w, int32_t K, const cv_ch_t *ch,
                          int8_t *y, int32_t npix, int32_t n) {
  for (; n > 0; n--, w += 2 * K, ch += 2, y += 2 * npix) {
    const int8_t *w0 = w, *w1 = w + K;
    int32_t a00 = ch[0].init, a01 = a00, a10 = ch[1].init, a11 = a10;
    cv_mac(col, ce, w0, w1, &a00, &a01, &a10, &a11);
    y[0] = cv_out1(&ch[0], a00);
    y[1] = cv_out1(&ch[0], a01);
    y[npix] = cv_out1(&ch[1], a10);
    y[npix + 1] = cv_out1(&ch[1], a11);
  }
}

/* The stem (in_c 3, 3x3, stride_w 2, groups 1, even out_c, every channel on the fast
 * requantization): both operands pre-expanded to int16 lane pairs, so the inner product is
 * LDRD + SMLAD only. The 27 taps of a window are 9 kernel rows r = ic·3 + ky of 3 taps;
 * a column is 14 words: P[r] = (tap r,0 | tap r,2) for r = 0..8, then
 * S[j] = (tap 2j,1 | tap 2j+1,1) for j = 0..4 (row 9 is a zero lane). The weights of a
 * channel use the same order, so any tap order is fine: the sums are exact integers.
 *
 * Two output pixels ox, ox+1 of one row read input columns ix0..ix0+2 and ix0+2..ix0+4:
 * per kernel row, v0 = bytes ix0..ix0+3 and v1 = ix0+1..ix0+4 give P_A = SXTB16(v0),
 * P_B = SXTB16 ROR 8(v1), and SXTB16(v1) = (tap 1 of A | tap 1 of B), two of which make
 * S_A and S_B with PKHBT / PKHTB. Border windows (padding taps = in_zp) go tap by tap.
 *
 * In the scratch the columns are interleaved, word i of A then word i of B, and so are the
 * weights of a channel pair on the stack, so one LDRD loads a pixel pair or a weight pair.
 * The weights and the initial sums are doubled: the requantization wants 2·acc (see
 * cv_out1), exact since |acc| < 2^30 (the checks of cv_dsp's mode 1). Per pixel pair and
 * channel pair: 85 instructions of LDRD/SMLAD for 108 MACs, 28 for the requantization.
 * Stack: about 1.3 KB, the expanded weights and constants of 8 channel pairs (ST_PAIRS;
 * fewer would rebuild the columns once per chunk). */
#define ST_PAIRS 8 /* channel pairs whose weights and constants sit on the stack at a time */
#define ST_BLK 36 /* words per pair: 28 weights, init0 init1, m0 rnd0, m1 rnd1, e0 e1 */

static void st_col_any(const tt_conv_params_t *p, const int8_t *x, int32_t oy, int32_t ox, int16_t *h) {
  const int32_t in_h = p->in_h, in_w = p->in_w, zp = p->in_zp;
  const int32_t iy0 = oy * p->stride_h - p->pad_t, ix0 = ox * p->stride_w - p->pad_l;
  const int ok0 = ix0 >= 0 && ix0 < in_w, ok1 = ix0 + 1 >= 0 && ix0 + 1 < in_w, ok2 = ix0 + 2 >= 0 && ix0 + 2 < in_w;
  int32_t ic, ky, r = 0;
  h[4 * 13 + 1] = 0; /* S[4] hi: row 9 */
  /* word i of this column is h[4i] (lo), h[4i + 1] (hi) */
  for (ic = 0; ic < 3; ic++)
    for (ky = 0; ky < 3; ky++, r++) {
      const int32_t iy = iy0 + ky, at = (ic * in_h + iy) * in_w + ix0;
      const int row = iy >= 0 && iy < in_h;
      h[4 * r] = (int16_t)(row && ok0 ? x[at] : zp);
      h[4 * r + 1] = (int16_t)(row && ok2 ? x[at + 2] : zp);
      h[4 * (9 + (r >> 1)) + (r & 1)] = (int16_t)(row && ok1 ? x[at + 1] : zp);
    }
}

/* Lanes (2·lo | 2·hi) of a weight word: the doubled weights give 2·acc. */
static inline uint32_t st_w2(int32_t lo, int32_t hi) {
  return (uint16_t)(2 * lo) | (uint32_t)(uint16_t)(2 * hi) << 16;
}

/* Columns of pixels (oy, ox) and (oy, ox + 1) whose windows lie inside the input; xr: the
 * first tap of pixel A. Kernel row r = ic·3 + ky writes P[r] and leaves its middle taps
 * in m (A | B), which pair up into S[r / 2]. */
#define ST_ROW(r, o)                                                              \
  do {                                                                            \
    const uint32_t v0 = tt_read_u32(xr + (o)), v1 = tt_read_u32(xr + (o) + 1);   \
    c[2 * (r)] = tt_sxtb16(v0);                                                   \
    c[2 * (r) + 1] = tt_sxtb16_ror8(v1);                                          \
    m##r = tt_sxtb16(v1);                                                         \
  } while (0)
#define ST_MID(j, ra, rb)                          \
  do {                                             \
    c[18 + 2 * (j)] = tt_pack_lo(m##ra, m##rb);    \
    c[19 + 2 * (j)] = tt_pack_hi(m##ra, m##rb);    \
  } while (0)
static inline void st_col_pair(const int8_t *xr, int32_t in_w, int32_t plane, uint32_t *c) {
  uint32_t m0, m1, m2, m3, m4, m5, m6, m7, m8;
  ST_ROW(0, 0);
  ST_ROW(1, in_w);
  ST_MID(0, 0, 1);
  ST_ROW(2, 2 * in_w);
  xr += plane;
  ST_ROW(3, 0);
  ST_MID(1, 2, 3);
  ST_ROW(4, in_w);
  ST_ROW(5, 2 * in_w);
  ST_MID(2, 4, 5);
  xr += plane;
  ST_ROW(6, 0);
  ST_ROW(7, in_w);
  ST_MID(3, 6, 7);
  ST_ROW(8, 2 * in_w);
  c[26] = m8 & 0xFFFFu; /* row 9: a zero lane */
  c[27] = m8 >> 16;
}

/* acc2 = 2·acc: out = ssat8((SMMLAR(acc2, m, rnd) + sign) >> e), as cv_out1. */
static inline int8_t st_out(int32_t acc2, int32_t m, int32_t rnd, int32_t e) {
  return (int8_t)tt_ssat8((tt_smmlar(acc2, m, rnd) + (acc2 >> 31)) >> e);
}

/* Word i of both columns times word i of both weight rows (fully unrolled, so that the
 * loads pair into LDRDs with immediate offsets). */
#define ST_MAC(i)                                                   \
  do {                                                              \
    const uint32_t ca = col[i], cb = col[(i) + 1], w0 = b[i], w1 = b[(i) + 1]; \
    a00 = tt_smlad(w0, ca, a00);                                    \
    a01 = tt_smlad(w0, cb, a01);                                    \
    a10 = tt_smlad(w1, ca, a10);                                    \
    a11 = tt_smlad(w1, cb, a11);                                    \
  } while (0)

#define ST_SMLAD4                                  \
  "smlad %[a00], %[w0], %[ca], %[a00]\n\t"         \
  "smlad %[a01], %[w0], %[cb], %[a01]\n\t"         \
  "smlad %[a10], %[w1], %[ca], %[a10]\n\t"         \
  "smlad %[a11], %[w1], %[cb], %[a11]\n\t"

/* The sums of both columns (c) times both weight rows of a block (b), from the initial
 * sums at b + 112: LDRD + SMLAD only (st_blocks and st_run). */
#define ST_DOT                                                   \
  "ldrd %[a00], %[a10], [%[b], #112]\n\t"                        \
  "ldrd %[ca], %[cb], [%[c]]\n\t"                                \
  "ldrd %[w0], %[w1], [%[b]]\n\t"                                \
  "smlad %[a01], %[w0], %[cb], %[a00]\n\t"                       \
  "smlad %[a00], %[w0], %[ca], %[a00]\n\t"                       \
  "smlad %[a11], %[w1], %[cb], %[a10]\n\t"                       \
  "smlad %[a10], %[w1], %[ca], %[a10]\n\t"                       \
  "ldrd %[ca], %[cb], [%[c], #8]\n\t" "ldrd %[w0], %[w1], [%[b], #8]\n\t" ST_SMLAD4 \
  "ldrd %[ca], %[cb], [%[c], #16]\n\t" "ldrd %[w0], %[w1], [%[b], #16]\n\t" ST_SMLAD4 \
  "ldrd %[ca], %[cb], [%[c], #24]\n\t" "ldrd %[w0], %[w1], [%[b], #24]\n\t" ST_SMLAD4 \
  "ldrd %[ca], %[cb], [%[c], #32]\n\t" "ldrd %[w0], %[w1], [%[b], #32]\n\t" ST_SMLAD4 \
  "ldrd %[ca], %[cb], [%[c], #40]\n\t" "ldrd %[w0], %[w1], [%[b], #40]\n\t" ST_SMLAD4 \
  "ldrd %[ca], %[cb], [%[c], #48]\n\t" "ldrd %[w0], %[w1], [%[b], #48]\n\t" ST_SMLAD4 \
  "ldrd %[ca], %[cb], [%[c], #56]\n\t" "ldrd %[w0], %[w1], [%[b], #56]\n\t" ST_SMLAD4 \
  "ldrd %[ca], %[cb], [%[c], #64]\n\t" "ldrd %[w0], %[w1], [%[b], #64]\n\t" ST_SMLAD4 \
  "ldrd %[ca], %[cb], [%[c], #72]\n\t" "ldrd %[w0], %[w1], [%[b], #72]\n\t" ST_SMLAD4 \
  "ldrd %[ca], %[cb], [%[c], #80]\n\t" "ldrd %[w0], %[w1], [%[b], #80]\n\t" ST_SMLAD4 \
  "ldrd %[ca], %[cb], [%[c], #88]\n\t" "ldrd %[w0], %[w1], [%[b], #88]\n\t" ST_SMLAD4 \
  "ldrd %[ca], %[cb], [%[c], #96]\n\t" "ldrd %[w0], %[w1], [%[b], #96]\n\t" ST_SMLAD4 \
  "ldrd %[ca], %[cb], [%[c], #104]\n\t" "ldrd %[w0], %[w1], [%[b], #104]\n\t" ST_SMLAD4

/* All channel pairs (nb blocks) for the two columns at col; outputs y (channel 0, pixel A),
 * pixel B too when two. */
__attribute__((always_inline)) static inline void st_blocks(const uint32_t *col, const uint32_t *b, int32_t nb, int8_t *y, int32_t npix,
                             const int two) {
  for (; nb > 0; nb--, b += ST_BLK, y += 2 * npix) {
    int32_t a00, a01, a10, a11;
#if defined(TT_DSP_NATIVE)
    /* GCC schedules the unrolled C across accumulators and drops the LDRDs: 85 instructions
     * here, about 130 from C. */
    uint32_t ca, cb, w0, w1;
    __asm__(ST_DOT
        : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11), [ca] "=&r"(ca),
          [cb] "=&r"(cb), [w0] "=&r"(w0), [w1] "=&r"(w1)
        : [c] "r"(col), [b] "r"(b), "m"(*(const uint32_t(*)[28])col), "m"(*(const uint32_t(*)[ST_BLK])b));
#else
    a00 = (int32_t)b[28], a01 = a00, a10 = (int32_t)b[29], a11 = a10;
    ST_MAC(0); ST_MAC(2); ST_MAC(4); ST_MAC(6); ST_MAC(8); ST_MAC(10); ST_MAC(12);
    ST_MAC(14); ST_MAC(16); ST_MAC(18); ST_MAC(20); ST_MAC(22); ST_MAC(24); ST_MAC(26);
#endif
    y[0] = st_out(a00, (int32_t)b[30], (int32_t)b[31], (int32_t)b[34]);
    y[npix] = st_out(a10, (int32_t)b[32], (int32_t)b[33], (int32_t)b[35]);
    if (two) {
      y[1] = st_out(a01, (int32_t)b[30], (int32_t)b[31], (int32_t)b[34]);
      y[npix + 1] = st_out(a11, (int32_t)b[32], (int32_t)b[33], (int32_t)b[35]);
    }
  }
}

#if defined(TT_DSP_NATIVE)
/* One output channel's requantization of both pixels (see st_out); off: its m, rnd at
 * [b + off], e at [b + eoff]. */
#define ST_RQ(x0, x1, off, eoff)                                   \
  "ldrd %[w0], %[ca], [%[b], #" off "]\n\t"                       \
  "ldr %[cb], [%[b], #" eoff "]\n\t"                              \
  "smmlar %[w1], %[" x0 "], %[w0], %[ca]\n\t"                     \
  "add %[" x0 "], %[w1], %[" x0 "], asr #31\n\t"                  \
  "smmlar %[w1], %[" x1 "], %[w0], %[ca]\n\t"                     \
  "add %[" x1 "], %[w1], %[" x1 "], asr #31\n\t"                  \
  "asr %[" x0 "], %[" x0 "], %[cb]\n\t"                           \
  "asr %[" x1 "], %[" x1 "], %[cb]\n\t"                           \
  "ssat %[" x0 "], #8, %[" x0 "]\n\t"                             \
  "ssat %[" x1 "], #8, %[" x1 "]\n\t"                             \
  "strb %[" x0 "], [%[y]]\n\t"                                    \
  "strb %[" x1 "], [%[y], #1]\n\t"                                \
  "add %[y], %[y], %[np]\n\t"
/* st_blocks for two pixels (nb >= 1), all in assembly: 114 instructions per channel pair. */
static inline void st_run(const uint32_t *col, const uint32_t *b, int32_t nb, int8_t *y, int32_t npix) {
  int32_t a00, a01, a10, a11;
  uint32_t ca, cb, w0, w1;
  __asm__ volatile(
      "1:\n\t"
      ST_DOT
      ST_RQ("a00", "a01", "120", "136") ST_RQ("a10", "a11", "128", "140")
      "add %[b], %[b], #144\n\t"
      "subs %[n], %[n], #1\n\t"
      "bne 1b\n\t"
      : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11), [ca] "=&r"(ca),
        [cb] "=&r"(cb), [w0] "=&r"(w0), [w1] "=&r"(w1), [b] "+r"(b), [y] "+r"(y), [n] "+r"(nb)
      : [c] "r"(col), [np] "r"(npix)
      : "cc", "memory");
}
#else
static inline void st_run(const uint32_t *col, const uint32_t *b, int32_t nb, int8_t *y, int32_t npix) {
  st_blocks(col, b, nb, y, npix, 1);
}
#endif

/* Pixels (oy, ox) and (oy, ox + 1) if any, out of line: windows over the padding. */
__attribute__((noinline)) static void st_pair_any(const tt_conv_params_t *p, const int8_t *x, int32_t oy, int32_t ox,
                                                  uint32_t *col, const uint32_t *b, int32_t nb, int8_t *y) {
  const int two = ox + 1 < p->out_w;
  const int32_t npix = p->out_h * p->out_w;
  st_col_any(p, x, oy, ox, (int16_t *)(void *)col);
  st_col_any(p, x, oy, ox + two, (int16_t *)(void *)col + 2);
  if (two) st_run(col, b, nb, y, npix);
  else st_blocks(col, b, nb, y, npix, 0);
}

__attribute__((noinline)) static int cv_stem(const tt_conv_params_t *p, const int8_t *x, int8_t *y) {
  const int32_t out_c = p->out_c, out_h = p->out_h, out_w = p->out_w, npix = out_h * out_w;
  const int32_t in_w = p->in_w, plane = p->in_h * in_w;
  uint32_t *const col = (uint32_t *)(void *)p->im2col;
  uint32_t blk[ST_PAIRS * ST_BLK];
  int32_t oc, c0;
  if (p->groups != 1 || !col || p->in_c != 3 || p->kh != 3 || p->kw != 3 || p->stride_w != 2 || (out_c & 1) ||
      p->act_min != -128 || p->act_max != 127)
    return 0;
  for (oc = 0; oc < out_c; oc++) {
    const int32_t m = p->multiplier[oc], s = p->shift[oc], bias = p->bias ? p->bias[oc] : 0;
    if (m < 0 || s > -1 || s < -22 || bias > (1 << 29) || bias < -(1 << 29)) return 0;
  }
  for (c0 = 0; c0 < out_c; c0 += 2 * ST_PAIRS) {
    const int32_t nb = (out_c - c0) / 2 < ST_PAIRS ? (out_c - c0) / 2 : ST_PAIRS;
    int32_t oy, ox, i;
    for (i = 0; i < 2 * nb; i++) {
      const int32_t o = c0 + i, e = -p->shift[o];
      const int8_t *w = p->weight + o * 27;
      uint32_t *const b = blk + (i >> 1) * ST_BLK + (i & 1);
      int32_t k, wsum = 0;
      for (k = 0; k < 27; k++) wsum += w[k];
      for (k = 0; k < 9; k++) b[2 * k] = st_w2(w[3 * k], w[3 * k + 2]);
      for (k = 0; k < 4; k++) b[18 + 2 * k] = st_w2(w[6 * k + 1], w[6 * k + 4]);
      b[26] = st_w2(w[25], 0);
      b[28] = 2u * ((uint32_t)(p->bias ? p->bias[o] : 0) - (uint32_t)p->in_zp * (uint32_t)wsum);
      b[30 + (i & 1)] = (uint32_t)p->multiplier[o]; /* b is offset by i & 1 already */
      b[31 + (i & 1)] = (1u << (e - 1)) + (uint32_t)p->out_zp * (1u << e);
      b[34] = (uint32_t)e;
    }
    for (oy = 0; oy < out_h; oy++) {
      const int32_t iy0 = oy * p->stride_h - p->pad_t, pl = p->pad_l;
      int8_t *const yr = y + c0 * npix + oy * out_w;
      ox = 0;
      if (iy0 >= 0 && iy0 + 3 <= p->in_h) {
        const int8_t *xr;
        int8_t *yp;
        for (; ox < out_w && 2 * ox - pl < 0; ox += 2) st_pair_any(p, x, oy, ox, col, blk, nb, yr + ox);
        /* The interior: both windows inside the input. */
        for (xr = x + iy0 * in_w + 2 * ox - pl, yp = yr + ox; ox + 1 < out_w && 2 * ox - pl + 5 <= in_w;
             ox += 2, xr += 4, yp += 2) {
          st_col_pair(xr, in_w, plane, col);
          st_run(col, blk, nb, yp, npix);
        }
      }
      for (; ox < out_w; ox += 2) st_pair_any(p, x, oy, ox, col, blk, nb, yr + ox);
    }
  }
  return 1;
}

static int cv_dsp(const tt_conv_params_t *p, const int8_t *x, int8_t *y) {
  const int32_t K = p->in_c * p->kh * p->kw, n4 = K >> 2, rem = K & 3;
  const int32_t npix = p->out_h * p->out_w, out_c = p->out_c;
  uint32_t *const col = (uint32_t *)(void *)p->im2col;
  uint32_t *const ta = col + 4 * n4, *const tb = ta + (rem == 3 ? 2 : 1); /* the columns' last words */
  const int32_t nseg = p->kw <= 4 && p->in_c * p->kh <= CV_MAX_SEG ? p->in_c * p->kh : 0;
  cv_ch_t ch[CV_CHUNK];
  int32_t seg[CV_MAX_SEG];
  int32_t c0, j;
  if (p->groups != 1 || !col || K < 1 || K >= 16448) return 0;
  for (j = 0; j < nseg; j++) seg[j] = (j / p->kh) * p->in_h * p->in_w + (j % p->kh) * p->in_w;
  for (c0 = 0; c0 < out_c; c0 += CV_CHUNK) {
    const int32_t nc = out_c - c0 < CV_CHUNK ? out_c - c0 : CV_CHUNK;
    int32_t i, pix, oy = 0, ox = 0, fast = 1;
    for (i = 0; i < nc; i++) {
      const int32_t oc = c0 + i, m = p->multiplier[oc], s = p->shift[oc];
      const int32_t bias = p->bias ? p->bias[oc] : 0;
      const int8_t *w = p->weight + oc * K;
      cv_ch_t *c = &ch[i];
      int32_t k, wsum = 0;
      for (k = 0; k < K; k++) wsum += w[k];
      c->init = (int32_t)((uint32_t)bias - (uint32_t)p->in_zp * (uint32_t)wsum);
      c->m = m;
      c->e = s <= -1 && s >= -31 ? -s : 0;
      c->rnd = c->e ? (int32_t)(1u << (c->e - 1)) : 0;
      c->mode = m >= 0 && c->e && bias <= (1 << 29) && bias >= -(1 << 29) ? 2 : 0;
      if (c->mode && c->e <= 22 && p->act_min == -128 && p->act_max == 127) {
        c->mode = 1;
        c->rnd += p->out_zp * (1 << c->e);
      }
      fast &= c->mode == 1;
      cv_wtail(w + 4 * n4, rem, &c->t0, &c->t1);
    }
    for (pix = 0; pix < npix; pix += 2) {
      const int two = pix + 1 < npix;
      {
        const int32_t oya = oy, oxa = ox;
        if (two && ++ox == p->out_w) ox = 0, oy++;
        cv_columns(p, x, oya, oxa, oy, ox, col, ta, tb, n4, rem, K, nseg ? seg : 0, nseg);
        if (++ox == p->out_w) ox = 0, oy++;
      }
      i = 0;
      if (fast && two) {
        /* Pairs whose groups cover all K taps (K % 4 == 0, or == 3 while a row follows). */
        const int32_t last = (out_c - 1 - c0) / 2; /* pairs with a weight row after them */
        const int32_t n = rem == 0 ? nc / 2 : rem == 3 ? (last < nc / 2 ? last : nc / 2) : 0;
        if (n > 0) {
          cv_pairs_fast(col, col + 4 * (n4 + (rem == 3)), p->weight + c0 * K, K, ch, y + c0 * npix + pix, npix, n);
          i = 2 * n;
        }
      }
      for (; i < nc; i += 2) {
        const int32_t oc = c0 + i, both = i + 1 < nc;
        const cv_ch_t *const ch0 = &ch[i], *const ch1 = &ch[i + both];
        const int8_t *w0 = p->weight + oc * K, *w1 = both ? w0 + K : w0;
        /* With K % 4 == 3 the last 3 taps fill a whole group (the 4th column lane is 0), so
         * they run as one unless the weight word would be read past the last row. */
        const int32_t ng = n4 + (rem == 3 && oc + 2 < out_c);
        const uint32_t *const ce = col + 4 * ng;
        int32_t a00 = ch0->init, a01 = a00, a10 = ch1->init, a11 = a10;
        int8_t *const y0 = y + oc * npix + pix, *const y1 = y0 + npix;
        cv_mac(col, ce, w0, w1, &a00, &a01, &a10, &a11);
        if (rem && ng == n4) { /* t1 is 0 unless K % 4 == 3 */
          a00 = tt_smlad(ch0->t0, ta[0], a00);
          a01 = tt_smlad(ch0->t0, tb[0], a01);
          a10 = tt_smlad(ch1->t0, ta[0], a10);
          a11 = tt_smlad(ch1->t0, tb[0], a11);
          if (rem == 3) {
            a00 = tt_smlad(ch0->t1, ta[1], a00);
            a01 = tt_smlad(ch0->t1, tb[1], a01);
            a10 = tt_smlad(ch1->t1, ta[1], a10);
            a11 = tt_smlad(ch1->t1, tb[1], a11);
          }
        }
        if (fast && two && both) {
          y0[0] = cv_out1(ch0, a00);
          y0[1] = cv_out1(ch0, a01);
          y1[0] = cv_out1(ch1, a10);
          y1[1] = cv_out1(ch1, a11);
        } else {
          y0[0] = cv_out(p, ch0, a00, oc);
          if (two) y0[1] = cv_out(p, ch0, a01, oc);
          if (both) {
            y1[0] = cv_out(p, ch1, a10, oc + 1);
            if (two) y1[1] = cv_out(p, ch1, a11, oc + 1);
          }
        }
      }
    }
  }
  return 1;
}
#endif

void tt_conv_s8(const tt_conv_params_t *p, const int8_t *x, int8_t *y) {
#if TT_DSP
  if (cv_stem(p, x, y) || cv_dsp(p, x, y)) return;
#endif
  conv_portable(p, x, y);
}
