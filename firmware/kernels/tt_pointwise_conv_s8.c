/* tt_pointwise_conv_s8: 1x1 convolution, stride 1, no padding, groups 1, i.e. the matrix
 * product W[O,I]·X[I,HW]. Every window is complete, so the zero point folds into a
 * per-channel constant: acc = bias − in_zp·Σw + Σ x·w. Identical to tt_conv_s8. */
#include <stddef.h>
#include "tt_kernels.h"
#include "tt_simd.h"
#include "tt_split.h"

/* Out of line: inlined into the dispatcher, GCC compiles this loop about 12% slower. */
__attribute__((noinline)) static void pointwise_portable(const tt_conv_params_t *p, const int8_t *x, int8_t *y) {
  const int32_t hw = (int32_t)p->in_h * p->in_w, in_c = p->in_c;
  const int32_t lo = p->act_min - p->out_zp, hi = p->act_max - p->out_zp;
  int32_t o;
  int8_t row[p->weight_train ? in_c : 1]; /* a split layer's weight row, assembled */
  for (o = 0; o < p->out_c; o++) {
    const int8_t *w = tt_split_row(p->weight, p->weight_train, p->in_slot, p->n_train, in_c, o, row);
    const int32_t m = p->multiplier[o], s = p->shift[o];
    int32_t base = p->bias ? p->bias[o] : 0, i, px;
    for (i = 0; i < in_c; i++) base -= p->in_zp * w[i];
    for (px = 0; px < hw; px++) {
      const int8_t *xp = x + px;
      int32_t acc = base;
      for (i = 0; i < in_c; i++) acc += xp[i * hw] * w[i];
      /* Clamp before adding out_zp: the requantized value may be near INT32_MAX. */
      y[o * hw + px] = (int8_t)(tt_clamp_i32(tt_requantize(acc, m, s), lo, hi) + p->out_zp);
    }
  }
}

#if TT_DSP
/* Cortex-M4/M7 path.
 *
 * SMLAD multiplies two int16 lanes pairwise, so both operands need input channels in lanes.
 * Weights come as 4 int8 of one row: SXTB16 gives lanes (w[i], w[i+2]) and, rotated,
 * (w[i+1], w[i+3]). The input is CHW (a pixel's channels are hw bytes apart), so a block of
 * pixels is first transposed into a stack buffer of int16 pairs in the same order: for
 * each quad of channels and each pixel, word A = (x'[i], x'[i+2]) and word B =
 * (x'[i+1], x'[i+3]), where x' = 2·(x − in_zp). The zero point in the lanes removes the
 * Σw term (no per-row table), and the factor 2 gives 2·acc, which is what the rounding
 * high multiply (SMMULR) needs for SaturatingRoundingDoublingHighMul. The buffer is built
 * once per pixel block and read by every output channel, so its cost is ~1/out_c per MAC.
 *
 * Blocks: 1 row x P pixels, P = 4 while 4 pixels of all channels fit the buffer
 * (in_c <= 288), else 2 (in_c <= 576; beyond, the portable code). The buffer holds as
 * many groups of P pixels as fit; each fill then runs every output row over them. Rows
 * whose requantization has the exact closed form (pw_row), with an activation range
 * inside int8, go through inline assembly (pw_run4, pw_run2: ~0.85 and ~1.06
 * instructions per MAC plus ~8 per output); other rows, and a last partial group of
 * pixels, through C with tt_requantize where needed (pw_rest). Channel tails are zero
 * lanes (in_c % 4: the rows are gathered into whole quads, pw_weights). A split layer
 * (tt_split.h) is gathered the same way: buffer positions hold the frozen channels in
 * frozen-slot order, then the train channels, each part padded to a quad.
 *
 * Stack: the buffer, up to PW_BUF_WORDS words, plus a channel map for split layers. */

/* SMMULR ((a·b + 2^31) >> 32), not in tt_simd.h. */
#if defined(TT_DSP_NATIVE)
static inline int32_t pw_smmulr(int32_t a, int32_t b) {
  int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
#else
static inline int32_t pw_smmulr(int32_t a, int32_t b) {
  return (int32_t)(((int64_t)a * b + 0x80000000LL) >> 32);
}
#endif

/* Buffer words on the stack (2.25 KB): 4 pixels of up to 288 channels, or 2 of 576
 * (MCUNet's largest pointwise input). */
#define PW_BUF_WORDS 576

static inline uint32_t pw_word(int32_t lo, int32_t hi) { return ((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16); }
static inline uint32_t pw_ld16(const int8_t *p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return v;
}

typedef struct {
  const tt_conv_params_t *p;
  int32_t hw, in_c, nf, nt;  /* pixels; channels; segment lengths (nt = 0 unless split) */
  int32_t qf;                /* quads of the frozen (or only) segment; the train one follows */
  int32_t nq, P, gw;         /* quads, pixels per group, words per group (2·P·nq) */
  uint32_t zz;               /* lanes (−2·in_zp, −2·in_zp) */
  const int16_t *map;        /* channel at each buffer position (−1: padding), or NULL: the same */
  int32_t sbound;            /* bound on |Σ w·(x − in_zp)| */
  int row;                   /* rows are gathered (pw_weights) */
  int asm_ok;                /* act_min, act_max in [-128, 127]: the lean path applies (pw_block) */
  int lean;                  /* every row takes it */
} pw_ctx_t;

/* Buffer words of one quad (channel rows r0..r3 at the group's first pixel) for a group of
 * P pixels. SXTAB16 adds the zero-point lanes and the doubled bytes 0 and 2 (rotated: 1
 * and 3) of a word holding 2 pixels of channels i and i+2; P = 4 reads 4 bytes per channel
 * and pairs them with PKHBT/PKHTB. */
static inline void pw_fill_quad(int32_t P, uint32_t zz, const int8_t *r0, const int8_t *r1, const int8_t *r2,
                                const int8_t *r3, uint32_t *o) {
  if (P == 4) {
    const uint32_t c0 = tt_read_u32(r0), c1 = tt_read_u32(r1), c2 = tt_read_u32(r2), c3 = tt_read_u32(r3);
    const uint32_t a01 = tt_pack_lo(c0, c2), a23 = tt_pack_hi(c0, c2);
    const uint32_t b01 = tt_pack_lo(c1, c3), b23 = tt_pack_hi(c1, c3);
    o[0] = tt_sxtab16(tt_sxtab16(zz, a01), a01);
    o[1] = tt_sxtab16(tt_sxtab16(zz, b01), b01);
    o[2] = tt_sxtab16_ror8(tt_sxtab16_ror8(zz, a01), a01);
    o[3] = tt_sxtab16_ror8(tt_sxtab16_ror8(zz, b01), b01);
    o[4] = tt_sxtab16(tt_sxtab16(zz, a23), a23);
    o[5] = tt_sxtab16(tt_sxtab16(zz, b23), b23);
    o[6] = tt_sxtab16_ror8(tt_sxtab16_ror8(zz, a23), a23);
    o[7] = tt_sxtab16_ror8(tt_sxtab16_ror8(zz, b23), b23);
  } else {
    const uint32_t a = pw_ld16(r0) | (pw_ld16(r2) << 16), b = pw_ld16(r1) | (pw_ld16(r3) << 16);
    o[0] = tt_sxtab16(tt_sxtab16(zz, a), a);
    o[1] = tt_sxtab16(tt_sxtab16(zz, b), b);
    o[2] = tt_sxtab16_ror8(tt_sxtab16_ror8(zz, a), a);
    o[3] = tt_sxtab16_ror8(tt_sxtab16_ror8(zz, b), b);
  }
}

#if defined(TT_DSP_NATIVE)
/* pw_fill_quad for P = 4 over nq >= 1 consecutive quads (channel rows hw apart) in inline
 * assembly: 32 instructions per 16 bytes where GCC spills (44). */
static void pw_fill4(const int8_t *xp, int32_t hw, uint32_t zz, int32_t nq, uint32_t *o) {
  uint32_t c0, c1, c2, c3, e0, e1, t;
  __asm__ volatile(
    "1:\n\t"
    "ldr    %[c0], [%[xp]]\n\t"
    "ldr    %[c1], [%[xp], %[hw]]\n\t"
    "add    %[t], %[xp], %[hw], lsl #1\n\t"
    "ldr    %[c2], [%[t]]\n\t"
    "ldr    %[c3], [%[t], %[hw]]\n\t"
    "add    %[xp], %[xp], %[hw], lsl #2\n\t"
    "pkhbt  %[e0], %[c0], %[c2], lsl #16\n\t" /* channels i, i+2 of pixels 0, 1 */
    "pkhtb  %[c2], %[c2], %[c0], asr #16\n\t" /* of pixels 2, 3 */
    "pkhbt  %[c0], %[c1], %[c3], lsl #16\n\t" /* channels i+1, i+3 of pixels 0, 1 */
    "pkhtb  %[c3], %[c3], %[c1], asr #16\n\t" /* of pixels 2, 3 */
    "sxtab16 %[t], %[zz], %[e0]\n\t"
    "sxtab16 %[c1], %[t], %[e0]\n\t"
    "sxtab16 %[t], %[zz], %[c0]\n\t"
    "sxtab16 %[e1], %[t], %[c0]\n\t"
    "strd   %[c1], %[e1], [%[o]], #8\n\t"
    "sxtab16 %[t], %[zz], %[e0], ror #8\n\t"
    "sxtab16 %[c1], %[t], %[e0], ror #8\n\t"
    "sxtab16 %[t], %[zz], %[c0], ror #8\n\t"
    "sxtab16 %[e1], %[t], %[c0], ror #8\n\t"
    "strd   %[c1], %[e1], [%[o]], #8\n\t"
    "sxtab16 %[t], %[zz], %[c2]\n\t"
    "sxtab16 %[c1], %[t], %[c2]\n\t"
    "sxtab16 %[t], %[zz], %[c3]\n\t"
    "sxtab16 %[e1], %[t], %[c3]\n\t"
    "strd   %[c1], %[e1], [%[o]], #8\n\t"
    "sxtab16 %[t], %[zz], %[c2], ror #8\n\t"
    "sxtab16 %[c1], %[t], %[c2], ror #8\n\t"
    "sxtab16 %[t], %[zz], %[c3], ror #8\n\t"
    "sxtab16 %[e1], %[t], %[c3], ror #8\n\t"
    "strd   %[c1], %[e1], [%[o]], #8\n\t"
    "subs   %[nq], %[nq], #1\n\t"
    "bne    1b\n\t"
    : [xp] "+r"(xp), [o] "+r"(o), [nq] "+r"(nq), [c0] "=&r"(c0), [c1] "=&r"(c1), [c2] "=&r"(c2), [c3] "=&r"(c3),
      [e0] "=&r"(e0), [e1] "=&r"(e1), [t] "=&r"(t)
    : [hw] "r"(hw), [zz] "r"(zz)
    : "cc", "memory");
}
#endif

/* The n pixels from p0 into the buffer: groups of P pixels, gw words each (the last group
 * may be partial: its missing pixels are zero lanes). Without c->map, buffer position k is
 * channel k (in_c a multiple of 4); with it, channel map[k], or padding when map[k] < 0
 * (read from zrow, P bytes equal to in_zp, which give zero lanes). The fill is ~2.5
 * instructions per input byte, paid once per pixel for all output channels. */
static void pw_fill(const pw_ctx_t *c, const int8_t *x, int32_t p0, int32_t n, uint32_t *buf) {
  const int32_t hw = c->hw, P = c->P, gw = c->gw, in_zp = c->p->in_zp, full = n / P, nq = c->nq;
  const int16_t *const map = c->map;
  const uint32_t zz = c->zz;
  int8_t zrow[4];
  int32_t g, q, px;
  memset(zrow, (int)(uint8_t)in_zp, 4);
  for (g = 0; g < full; g++) {
    const int8_t *xp = x + p0 + g * P;
    uint32_t *o = buf + g * gw;
    if (!map) {
#if defined(TT_DSP_NATIVE)
      if (P == 4) {
        pw_fill4(xp, hw, zz, nq, o);
        continue;
      }
#endif
      for (q = 0; q < nq; q++, o += 2 * P, xp += 4 * hw) pw_fill_quad(P, zz, xp, xp + hw, xp + 2 * hw, xp + 3 * hw, o);
    } else {
      for (q = 0; q < nq; q++, o += 2 * P) {
        const int16_t *m = map + 4 * q;
        pw_fill_quad(P, zz, m[0] < 0 ? zrow : xp + m[0] * hw, m[1] < 0 ? zrow : xp + m[1] * hw,
                     m[2] < 0 ? zrow : xp + m[2] * hw, m[3] < 0 ? zrow : xp + m[3] * hw, o);
      }
    }
  }
  if (full * P < n) {
    /* A partial last group, element by element. */
    const int32_t np = n - full * P, pg = p0 + full * P;
    uint32_t *o = buf + full * gw;
    for (q = 0; q < nq; q++) {
      for (px = 0; px < P; px++) {
        int32_t v[4], r;
        for (r = 0; r < 4; r++) {
          const int32_t i = map ? map[4 * q + r] : 4 * q + r;
          v[r] = (px < np && i >= 0) ? 2 * (x[i * hw + pg + px] - in_zp) : 0;
        }
        o[q * 2 * P + 2 * px] = pw_word(v[0], v[2]);
        o[q * 2 * P + 2 * px + 1] = pw_word(v[1], v[3]);
      }
    }
  }
}

/* acc[0..P-1] += nq >= 1 whole quads of one row (from w) · P pixels of the buffer (2·P
 * words per quad, from xb); returns the next quad. */
static inline const uint32_t *pw_mac(int32_t P, const int8_t *w, int32_t nq, const uint32_t *xb, int32_t *acc) {
  int32_t q, j;
  for (q = 0; q < nq; q++, w += 4) {
    const uint32_t v = tt_read_u32(w), wa = tt_sxtb16(v), wb = tt_sxtb16_ror8(v);
    for (j = 0; j < P; j++, xb += 2) acc[j] = tt_smlad(wb, xb[1], tt_smlad(wa, xb[0], acc[j]));
  }
  return xb;
}

/* Requantization of one output channel. fast: out = clamp(rq(2·acc)) exactly (see
 * pw_row); else tt_requantize on acc = bias + (sum of the doubled lanes) / 2. */
typedef struct {
  int32_t init;           /* accumulator start: 2·bias (fast) or 0 */
  int32_t m, rnd, sh;     /* fast: SMMULR multiplier, rounding + out_zp term, shift */
  int32_t bias, mult, shift;
  int fast;
} pw_row_t;

/* tt_requantize(acc, m, s) + out_zp for s <= 0, m >= 0 is rdbpot(x, e) + zp with
 * x = srdhm(acc, m) = SMMULR(2·acc, m) and e = −s; for 0 <= e <= 30,
 * rdbpot(x, e) + zp = (2x + 2^e + (x >> 31) + zp·2^(e+1)) >> (e+1) (ties away from zero;
 * e = 0 gives x), exact when nothing overflows. |x| <= |acc| <= A, so it is enough that
 * 2A + 2^e + 1 + |zp|·2^(e+1) < 2^31 (which also keeps 2·acc in int32). If instead
 * |x| <= A < 2^(e−1), the result is zp for every acc: m = 0 gives that. */
static void pw_row(const pw_ctx_t *c, int32_t o, pw_row_t *r) {
  const tt_conv_params_t *p = c->p;
  const int32_t bias = p->bias ? p->bias[o] : 0, m = p->multiplier[o], s = p->shift[o], zp = p->out_zp;
  const int64_t A = (bias < 0 ? -(int64_t)bias : (int64_t)bias) + c->sbound;
  const int64_t lim = (int64_t)1 << 31;
  r->bias = bias;
  r->mult = m;
  r->shift = s;
  r->fast = 0;
  r->init = 0;
  if (m >= 0 && s <= 0 && s >= -63 && 2 * A < lim) {
    const int32_t e = -s;
    const int64_t azp = zp < 0 ? -(int64_t)zp : zp;
    if (e <= 30 && 2 * A + ((int64_t)1 << e) + 1 + (azp << (e + 1)) < lim) {
      r->fast = 1;
      r->init = (int32_t)(2 * (int64_t)bias);
      r->m = m;
      r->rnd = (int32_t)(((int64_t)1 << e) + (int64_t)zp * ((int64_t)1 << (e + 1)));
      r->sh = e + 1;
    } else if (e >= 1 && (e > 31 || A < ((int64_t)1 << (e - 1)))) {
      r->fast = 1;
      r->m = 0;
      r->rnd = 1 + 2 * zp;
      r->sh = 1;
    }
  }
}

static inline int32_t pw_rq(int32_t acc2, int32_t m, int32_t rnd, int32_t sh) {
  const int32_t x = pw_smmulr(acc2, m);
  return (int32_t)((uint32_t)rnd + ((uint32_t)x << 1) + (uint32_t)(x >> 31)) >> sh;
}

/* The assembly's form of pw_rq for e = sh − 1 >= 1, one instruction shorter: with
 * rnd' = 2^(e−1) + zp·2^e = z1·2^(e−1), (SMMLAR(2·acc, m, rnd') + (acc < 0 ? −1 : 0)) >> e.
 * SMMLAR gives rnd' + srdhm(acc, m) exactly; the sign of acc stands for the sign of
 * x = srdhm(acc, m) (m >= 0: they differ only when x == 0, where (2^(e−1) − 1) >> e is 0
 * as well), and the sum is about half of pw_rq's, so pw_row's bound covers it. The
 * vanishing row (m = 0) is e = 1, rnd' = z1: (1 + 2·zp + sign) >> 1 = zp. */
static inline int32_t pw_rq_lean(int32_t acc2, int32_t m, int32_t rnd, int32_t e) {
  return (int32_t)((uint32_t)tt_smmlar(acc2, m, rnd) + (uint32_t)(acc2 >> 31)) >> e;
}

/* n outputs of one row from their accumulators (any row, any activation range). */
static void pw_store(const pw_ctx_t *c, const pw_row_t *r, const int32_t *acc, int32_t n, int8_t *out) {
  const tt_conv_params_t *p = c->p;
  int32_t j;
  for (j = 0; j < n; j++) {
    const int32_t a = acc[j];
    int32_t v;
    if (r->fast) {
      v = tt_clamp_i32(pw_rq(a, r->m, r->rnd, r->sh), p->act_min, p->act_max);
    } else {
      const int32_t acc1 = (int32_t)((uint32_t)r->bias + (uint32_t)(a >> 1));
      v = tt_clamp_i32(tt_requantize(acc1, r->mult, r->shift), p->act_min - p->out_zp, p->act_max - p->out_zp) +
          p->out_zp;
    }
    out[j] = (int8_t)v;
  }
}

/* The lean path: rows over every whole group of the buffer, with pw_row's fast
 * requantization to [-128, 127]. A fast row is the triple (bias, m, s) with
 * init = 2·bias, rnd = (1 + 2·out_zp) << −s, sh = 1 − s (pw_row's vanishing case is
 * (0, 0, 0)); the rows are given as arrays [bias, bias_end). Weights: whole quads, rows
 * wstep bytes apart. Offsets are used by the assembly. */
typedef struct {
  int32_t m, rnd, sh, init;             /* 0..12: the current row's constants (init, w: one LDRD) */
  const int8_t *w;                      /* 16: the current row's weights */
  int8_t *out, *out_end;                /* 20, 24: its outputs in this fill */
  const int32_t *bias, *mult, *shift;   /* 28, 32, 36: the next row */
  int32_t wstep, ostep, span;           /* 40, 44, 48: weight and output row steps, outputs per row */
  int32_t z1;                           /* 52: 1 + 2·out_zp */
  const int32_t *bias_end;              /* 56 */
  const uint32_t *buf;                  /* 60: the first group */
  int32_t nq4;                          /* 64: bytes of a weight row (4·nq) */
  const int8_t *wend;                   /* 68: the current row's end */
  uint32_t w3, w1;                      /* 72, 76: scratch (pw_run4, two quads) */
} pw_run_t;

#if defined(TT_DSP_NATIVE)
/* The assembly's offsets (a negative array size fails the build if they moved). */
typedef char pw_run_layout[(offsetof(pw_run_t, w) == 16 && offsetof(pw_run_t, bias) == 28 &&
                            offsetof(pw_run_t, nq4) == 64 && offsetof(pw_run_t, w1) == 76) ? 1 : -1];
#endif

#if defined(TT_DSP_NATIVE)
/* Inline assembly: in C, GCC spills in the MAC loop (13 live registers), does not pair the
 * loads, and spills the row state around it. Per quad of 4 channels:
 *   P = 4: LDR + 2 SXTB16 + 2 LDM of 4 words + 8 SMLAD = 13 instructions per 16 MACs;
 *   P = 2: LDR + 2 SXTB16 + LDM + 4 SMLAD = 8 per 8 MACs;
 * four quads per loop iteration (the first quad of a group is peeled: its SMLADs add the
 * accumulators' start value; the rest enter the loop where their count requires), or
 * MCUNet's quad counts fully unrolled (PW_GROUP_U), or 16 per iteration (PW_GROUP16), then
 * per output SMMULR, 2 ADD, ASR, SSAT, STRB. Adjacent row-state words load in pairs (LDRD). LDM fills registers in ascending order: the
 * four x registers are pinned to r8-r11. The row state lives in *k. At most 13 register
 * operands (the row's end is reloaded per loop iteration), so that the assembly also
 * builds where r7 is a frame pointer (-O0, -fno-omit-frame-pointer). */
#define PW_WLOAD                                                  \
  "ldr    %[wb], [%[w]], #4\n\t"                                  \
  "sxtb16 %[wa], %[wb]\n\t"                                       \
  "sxtb16 %[wb], %[wb], ror #8\n\t"                               \
  "ldm    %[xb]!, {%[x0], %[x1], %[x2], %[x3]}\n\t"
/* acc0 += w·x of pixel 2j, acc1 of pixel 2j+1 (from a0s/a1s: the start value or themselves). */
#define PW_PAIR(a0, a1, a0s, a1s)                                 \
  "smlad  %[" a0 "], %[wa], %[x0], %[" a0s "]\n\t"                \
  "smlad  %[" a1 "], %[wa], %[x2], %[" a1s "]\n\t"                \
  "smlad  %[" a0 "], %[wb], %[x1], %[" a0 "]\n\t"                 \
  "smlad  %[" a1 "], %[wb], %[x3], %[" a1 "]\n\t"
#define PW_QUAD4 PW_WLOAD PW_PAIR("a0", "a1", "a0", "a1") "ldm %[xb]!, {%[x0], %[x1], %[x2], %[x3]}\n\t" \
  PW_PAIR("a2", "a3", "a2", "a3")
/* First quad: the start value is in a3 (read by a0-a2 before a3 is written). */
#define PW_FIRST4 PW_WLOAD PW_PAIR("a0", "a1", "a3", "a3") "ldm %[xb]!, {%[x0], %[x1], %[x2], %[x3]}\n\t" \
  PW_PAIR("a2", "a3", "a3", "a3")
#define PW_QUAD2 PW_WLOAD PW_PAIR("a0", "a1", "a0", "a1")
#define PW_FIRST2 PW_WLOAD PW_PAIR("a0", "a1", "a1", "a1")
/* a = SSAT8((SMMLAR(a, m, rnd) + (a >> 31)) >> e): m in w, rnd in wa, e in wb (see pw_rq_lean). */
#define PW_RQ(a, xr)                                              \
  "smmlar %[" xr "], %[" a "], %[w], %[wa]\n\t"                   \
  "add    %[" a "], %[" xr "], %[" a "], asr #31\n\t"             \
  "asr    %[" a "], %[" a "], %[wb]\n\t"                          \
  "ssat   %[" a "], #8, %[" a "]\n\t"
/* Row setup from (*bias++, *mult++, *shift++), temporaries t0-t2. */
#define PW_ROW(t0, t1, t2)                                        \
  "6:\n\t"                                                        \
  "ldrd   %[" t0 "], %[" t1 "], [%[k], #28]\n\t" /* bias, mult */ \
  "ldr    %[" t2 "], [%[" t0 "]], #4\n\t"                         \
  "lsl    %[" t2 "], %[" t2 "], #1\n\t"                           \
  "str    %[" t2 "], [%[k], #12]\n\t"                             \
  "ldr    %[" t2 "], [%[" t1 "]], #4\n\t"                         \
  "str    %[" t2 "], [%[k]]\n\t"                                  \
  "strd   %[" t0 "], %[" t1 "], [%[k], #28]\n\t"                  \
  "ldr    %[" t0 "], [%[k], #36]\n\t"                             \
  "ldr    %[" t1 "], [%[" t0 "]], #4\n\t"                         \
  "str    %[" t0 "], [%[k], #36]\n\t"                             \
  "rsb    %[" t2 "], %[" t1 "], #0\n\t"                           \
  "str    %[" t2 "], [%[k], #8]\n\t"                              \
  "mvn    %[" t1 "], %[" t1 "]\n\t"                               \
  "ldr    %[" t2 "], [%[k], #52]\n\t"                             \
  "lsl    %[" t2 "], %[" t2 "], %[" t1 "]\n\t"                    \
  "str    %[" t2 "], [%[k], #4]\n\t"                              \
  "ldr    %[" t0 "], [%[k], #16]\n\t"                             \
  "ldr    %[" t1 "], [%[k], #64]\n\t"                             \
  "add    %[" t0 "], %[" t0 "], %[" t1 "]\n\t"                    \
  "str    %[" t0 "], [%[k], #68]\n\t"                             \
  "ldr    %[xb], [%[k], #60]\n\t"
/* Next row: w += wstep, out_end += ostep, out = out_end − span; until bias_end. */
#define PW_ROW_END(t0, t1, t2)                                    \
  "ldrd   %[" t1 "], %[" t2 "], [%[k], #40]\n\t" /* wstep, ostep */ \
  "ldr    %[" t0 "], [%[k], #16]\n\t"                             \
  "add    %[" t0 "], %[" t0 "], %[" t1 "]\n\t"                    \
  "str    %[" t0 "], [%[k], #16]\n\t"                             \
  "ldr    %[" t0 "], [%[k], #24]\n\t"                             \
  "add    %[" t0 "], %[" t0 "], %[" t2 "]\n\t"                    \
  "str    %[" t0 "], [%[k], #24]\n\t"                             \
  "ldr    %[" t1 "], [%[k], #48]\n\t"                             \
  "sub    %[" t0 "], %[" t0 "], %[" t1 "]\n\t"                    \
  "str    %[" t0 "], [%[k], #20]\n\t"                             \
  "ldr    %[" t0 "], [%[k], #28]\n\t"                             \
  "ldr    %[" t1 "], [%[k], #56]\n\t"                             \
  "cmp    %[" t0 "], %[" t1 "]\n\t"                               \
  "bne    6b\n\t"
/* A group: the start value into START, the row's weights, the first quad, the other
 * nq − 1 entering the 4-quad loop at ENTRY ("b 5f": none left), until w reaches the
 * row's end (WEND: the compare with a register holding it, or with it loaded). */
#define PW_GROUP(START, FIRST, QUAD, ENTRY, WEND)                 \
  "0:\n\t"                                                        \
  "ldrd   %[" START "], %[w], [%[k], #12]\n\t" /* init, w */     \
  FIRST                                                           \
  ENTRY                                                           \
  "1:\n\t" QUAD "2:\n\t" QUAD "3:\n\t" QUAD "4:\n\t" QUAD         \
  WEND                                                            \
  "bne    1b\n"                                                   \
  "5:\n\t"                                                        \
  "ldrd   %[w], %[wa], [%[k]]\n\t" /* m, rnd */                   \
  "ldr    %[wb], [%[k], #8]\n\t"
/* PW_GROUP with 16 quads per loop iteration, for nq a multiple of 16: the first quad
 * peeled, the loop entered at its second quad (nq − 1 = 15 + 16·j). */
#define PW_GROUP16(START, FIRST, QUAD, WEND)                      \
  "0:\n\t"                                                        \
  "ldrd   %[" START "], %[w], [%[k], #12]\n\t" /* init, w */     \
  FIRST                                                           \
  "b      2f\n\t"                                                 \
  "1:\n\t" QUAD "2:\n\t" QUAD QUAD QUAD QUAD QUAD QUAD QUAD QUAD   \
  QUAD QUAD QUAD QUAD QUAD QUAD QUAD                              \
  WEND                                                            \
  "bne    1b\n"                                                   \
  "ldrd   %[w], %[wa], [%[k]]\n\t" /* m, rnd */                   \
  "ldr    %[wb], [%[k], #8]\n\t"
/* PW_GROUP for a fixed number of quads, unrolled (QUADS: the nq − 1 after the first): no
 * loop compare, entry branch or reload of the row's end (up to 7 instructions a group). */
#define PW_GROUP_U(START, FIRST, QUADS)                           \
  "0:\n\t"                                                        \
  "ldrd   %[" START "], %[w], [%[k], #12]\n\t" /* init, w */     \
  FIRST QUADS                                                     \
  "ldrd   %[w], %[wa], [%[k]]\n\t" /* m, rnd */                   \
  "ldr    %[wb], [%[k], #8]\n\t"
#define PW_RUN4(ENTRY) \
  PW_RUN4_G(PW_GROUP("a3", PW_FIRST4, PW_QUAD4, ENTRY, "ldr %[wa], [%[k], #68]\n\tcmp %[w], %[wa]\n\t"))
#define PW_RUN4_U(QUADS) PW_RUN4_G(PW_GROUP_U("a3", PW_FIRST4, QUADS))
#define PW_RUN4_16 \
  PW_RUN4_G(PW_GROUP16("a3", PW_FIRST4, PW_QUAD4, "ldr %[wa], [%[k], #68]\n\tcmp %[w], %[wa]\n\t"))
#define PW_QUAD4x4 PW_QUAD4 PW_QUAD4 PW_QUAD4 PW_QUAD4
#define PW_RUN4_G(GROUP)                                          \
  PW_ROW("a0", "a1", "a2")                                        \
  GROUP                                                           \
  PW_RQ("a0", "x0") PW_RQ("a1", "x1") PW_RQ("a2", "x2") PW_RQ("a3", "x3") \
  "ldrd   %[w], %[wa], [%[k], #20]\n\t" /* out, out_end */       \
  "strb   %[a0], [%[w]], #1\n\t"                                  \
  "strb   %[a1], [%[w]], #1\n\t"                                  \
  "strb   %[a2], [%[w]], #1\n\t"                                  \
  "strb   %[a3], [%[w]], #1\n\t"                                  \
  "str    %[w], [%[k], #20]\n\t"                                  \
  "cmp    %[w], %[wa]\n\t"                                        \
  "bne    0b\n\t"                                                 \
  PW_ROW_END("a0", "a1", "a2")
#define PW_RUN2(ENTRY) PW_RUN2_G(PW_GROUP("a1", PW_FIRST2, PW_QUAD2, ENTRY, "cmp %[w], %[wend]\n\t"))
#define PW_RUN2_16 PW_RUN2_G(PW_GROUP16("a1", PW_FIRST2, PW_QUAD2, "cmp %[w], %[wend]\n\t"))
#define PW_RUN2_G(GROUP)                                          \
  PW_ROW("a0", "a1", "wa")                                        \
  "ldr    %[wend], [%[k], #68]\n\t"                               \
  GROUP                                                           \
  PW_RQ("a0", "x0") PW_RQ("a1", "x1")                             \
  "ldrd   %[w], %[wa], [%[k], #20]\n\t" /* out, out_end */       \
  "strb   %[a0], [%[w]], #1\n\t"                                  \
  "strb   %[a1], [%[w]], #1\n\t"                                  \
  "str    %[w], [%[k], #20]\n\t"                                  \
  "cmp    %[w], %[wa]\n\t"                                        \
  "bne    0b\n\t"                                                 \
  PW_ROW_END("a0", "a1", "wa")
#define PW_OPS4                                                                                   \
  : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [w] "=&r"(w), [xb] "=&r"(xb),  \
    [wa] "=&r"(wa), [wb] "=&r"(wb), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3)  \
  : [k] "r"(k)                                                                                    \
  : "cc", "memory"
#define PW_OPS2                                                                                   \
  : [a0] "=&r"(a0), [a1] "=&r"(a1), [w] "=&r"(w), [xb] "=&r"(xb), [wa] "=&r"(wa), [wb] "=&r"(wb),  \
    [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [wend] "=&r"(wend)             \
  : [k] "r"(k)                                                                                    \
  : "cc", "memory"
/* The loop entry for the nq − 1 quads after the first. */
#define PW_VARIANTS(RUN, OPS)                                     \
  switch (k->nq4 == 4 ? 4 : ((k->nq4 >> 2) - 1) & 3) {            \
    case 4: __asm__ volatile(RUN("b 5f\n\t") OPS); break;         \
    case 1: __asm__ volatile(RUN("b 4f\n\t") OPS); break;         \
    case 2: __asm__ volatile(RUN("b 3f\n\t") OPS); break;         \
    case 3: __asm__ volatile(RUN("b 2f\n\t") OPS); break;         \
    default: __asm__ volatile(RUN("") OPS); break;                \
  }

/* Two quads (in_c 8): the row's weight lanes stay in registers across its groups (W0 in
 * wa, W2 in w; W1 and W3 take turns in wb, reloaded from offsets 76 and 72),
 * 23 instructions per 32 MACs. */
#define PW_PAIR8(a0, a1, a0s, a1s, wl, wh)                        \
  "smlad  %[" a0 "], %[" wl "], %[x0], %[" a0s "]\n\t"           \
  "smlad  %[" a1 "], %[" wl "], %[x2], %[" a1s "]\n\t"           \
  "smlad  %[" a0 "], %[" wh "], %[x1], %[" a0 "]\n\t"            \
  "smlad  %[" a1 "], %[" wh "], %[x3], %[" a1 "]\n\t"
#define PW_LDM "ldm    %[xb]!, {%[x0], %[x1], %[x2], %[x3]}\n\t"
#define PW_RQ8(a)                                                 \
  "smmlar %[x3], %[" a "], %[x0], %[x1]\n\t"                     \
  "add    %[x3], %[x3], %[" a "], asr #31\n\t"                   \
  "asr    %[x3], %[x3], %[x2]\n\t"                               \
  "ssat   %[" a "], #8, %[x3]\n\t"
#define PW_RUN4_Q2                                                \
  PW_ROW("a0", "a1", "a2")                                        \
  "ldr    %[a0], [%[k], #16]\n\t"                                \
  "ldr    %[a1], [%[a0], #4]\n\t"                                \
  "ldr    %[wa], [%[a0]]\n\t"                                    \
  "sxtb16 %[w], %[a1]\n\t"                                       \
  "sxtb16 %[a1], %[a1], ror #8\n\t"                              \
  "str    %[a1], [%[k], #72]\n\t"                                \
  "sxtb16 %[a1], %[wa], ror #8\n\t"                              \
  "str    %[a1], [%[k], #76]\n\t"                                \
  "sxtb16 %[wa], %[wa]\n\t"                                      \
  "0:\n\t"                                                       \
  "ldr    %[a3], [%[k], #12]\n\t"                                \
  "ldr    %[wb], [%[k], #76]\n\t"                                \
  PW_LDM PW_PAIR8("a0", "a1", "a3", "a3", "wa", "wb")             \
  PW_LDM PW_PAIR8("a2", "a3", "a3", "a3", "wa", "wb")             \
  "ldr    %[wb], [%[k], #72]\n\t"                                \
  PW_LDM PW_PAIR8("a0", "a1", "a0", "a1", "w", "wb")              \
  PW_LDM PW_PAIR8("a2", "a3", "a2", "a3", "w", "wb")              \
  "ldrd   %[x0], %[x1], [%[k]]\n\t"                             \
  "ldr    %[x2], [%[k], #8]\n\t"                                 \
  PW_RQ8("a0") PW_RQ8("a1") PW_RQ8("a2") PW_RQ8("a3")             \
  "ldrd   %[x0], %[x1], [%[k], #20]\n\t"                         \
  "strb   %[a0], [%[x0]], #1\n\t"                                \
  "strb   %[a1], [%[x0]], #1\n\t"                                \
  "strb   %[a2], [%[x0]], #1\n\t"                                \
  "strb   %[a3], [%[x0]], #1\n\t"                                \
  "str    %[x0], [%[k], #20]\n\t"                                \
  "cmp    %[x0], %[x1]\n\t"                                      \
  "bne    0b\n\t"                                                \
  PW_ROW_END("a0", "a1", "a2")

__attribute__((noinline)) static void pw_run4(pw_run_t *k) {
  register uint32_t x0 __asm__("r8"), x1 __asm__("r9"), x2 __asm__("r10"), x3 __asm__("r11");
  int32_t a0, a1, a2, a3;
  uint32_t wa, wb;
  const uint32_t *xb;
  const int8_t *w;
  /* unrolled for MCUNet's inputs: in_c 8, 16, 24, 32, 40, 48, 96, 120, 144, 160 */
  switch (k->nq4) {
    case 8: __asm__ volatile(PW_RUN4_Q2 PW_OPS4); return;
    case 16: __asm__ volatile(PW_RUN4_U(PW_QUAD4 PW_QUAD4 PW_QUAD4) PW_OPS4); return;
    case 24: __asm__ volatile(PW_RUN4_U(PW_QUAD4 PW_QUAD4 PW_QUAD4 PW_QUAD4 PW_QUAD4) PW_OPS4); return;
    case 32: __asm__ volatile(PW_RUN4_U(PW_QUAD4 PW_QUAD4 PW_QUAD4 PW_QUAD4 PW_QUAD4 PW_QUAD4 PW_QUAD4) PW_OPS4); return;
    case 40: __asm__ volatile(PW_RUN4_U(PW_QUAD4 PW_QUAD4 PW_QUAD4 PW_QUAD4 PW_QUAD4 PW_QUAD4 PW_QUAD4 PW_QUAD4
                                        PW_QUAD4) PW_OPS4); return;
    case 48: __asm__ volatile(PW_RUN4_U(PW_QUAD4 PW_QUAD4 PW_QUAD4 PW_QUAD4 PW_QUAD4 PW_QUAD4 PW_QUAD4 PW_QUAD4
                                        PW_QUAD4 PW_QUAD4 PW_QUAD4) PW_OPS4); return;
    case 96: __asm__ volatile(PW_RUN4_U(PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4 PW_QUAD4
                                        PW_QUAD4) PW_OPS4); return;
    case 120: __asm__ volatile(PW_RUN4_U(PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4x4
                                         PW_QUAD4x4 PW_QUAD4) PW_OPS4); return;
    case 144: __asm__ volatile(PW_RUN4_U(PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4x4
                                         PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4 PW_QUAD4 PW_QUAD4) PW_OPS4); return;
    case 160: __asm__ volatile(PW_RUN4_U(PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4x4
                                         PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4x4 PW_QUAD4 PW_QUAD4 PW_QUAD4) PW_OPS4); return;
    default: break;
  }
  if (!(k->nq4 & 63)) { /* in_c 192 */
    __asm__ volatile(PW_RUN4_16 PW_OPS4);
    return;
  }
  PW_VARIANTS(PW_RUN4, PW_OPS4)
}

__attribute__((noinline)) static void pw_run2(pw_run_t *k) {
  register uint32_t x0 __asm__("r8"), x1 __asm__("r9"), x2 __asm__("r10"), x3 __asm__("r11");
  int32_t a0, a1;
  uint32_t wa, wb;
  const uint32_t *xb;
  const int8_t *w, *wend;
  if (!(k->nq4 & 63)) { /* in_c 384, 576 */
    __asm__ volatile(PW_RUN2_16 PW_OPS2);
    return;
  }
  PW_VARIANTS(PW_RUN2, PW_OPS2)
}
#else
/* The same in C (the host tests of this path). */
static void pw_run(pw_run_t *k, int32_t P) {
  for (; k->bias != k->bias_end; k->bias++, k->mult++, k->shift++) {
    const int32_t e = -*k->shift, init = (int32_t)(2u * (uint32_t)*k->bias);
    const int32_t rnd = (int32_t)((uint32_t)k->z1 << (e - 1));
    const uint32_t *xb = k->buf;
    int8_t *out;
    for (out = k->out; out != k->out_end; out += P) {
      int32_t acc[4] = {init, init, init, init}, j;
      xb = pw_mac(P, k->w, k->nq4 >> 2, xb, acc);
      for (j = 0; j < P; j++) out[j] = (int8_t)tt_clamp_i32(pw_rq_lean(acc[j], *k->mult, rnd, e), -128, 127);
    }
    k->w += k->wstep;
    k->out_end += k->ostep;
    k->out = k->out_end - k->span;
  }
}
static void pw_run4(pw_run_t *k) { pw_run(k, 4); }
static void pw_run2(pw_run_t *k) { pw_run(k, 2); }
#endif

/* Row o as nq whole quads in buffer order: the weight row itself when it is one
 * segment of whole quads, else gathered into row[nq] (frozen part, zeros to a quad,
 * train part, zeros to a quad). */
static const int8_t *pw_weights(const pw_ctx_t *c, int32_t o, uint32_t *row) {
  const tt_conv_params_t *p = c->p;
  const int32_t nf = c->nf, nt = c->nt, qf = c->qf, nq = c->nq;
  const int8_t *wf = p->weight + o * nf, *wt = nt ? p->weight_train + o * nt : NULL;
  int32_t q;
  if (!c->row) return wf;
  if (!((nf | nt) & 3)) {
    /* Two runs of whole quads. */
    uint32_t *d = row;
    for (q = 0; q < qf; q++, wf += 4) *d++ = tt_read_u32(wf);
    for (q = qf; q < nq; q++, wt += 4) *d++ = tt_read_u32(wt);
    return (const int8_t *)row;
  }
  for (q = 0; q < nq; q++) {
    const int32_t seg = q >= qf, len = seg ? nt : nf, i = 4 * (seg ? q - qf : q);
    const int8_t *s = (seg ? wt : wf) + i;
    if (i + 4 <= len) {
      row[q] = tt_read_u32(s);
    } else {
      uint32_t v = 0;
      int32_t j;
      for (j = 0; i + j < len; j++) v |= (uint32_t)(uint8_t)s[j] << (8 * j); /* little-endian */
      row[q] = v;
    }
  }
  return (const int8_t *)row;
}

/* One row from group g on (of n pixels of the buffer), any case. */
__attribute__((noinline)) static void pw_rest(const pw_ctx_t *c, const pw_row_t *r, const int8_t *w,
                                              int32_t g, const uint32_t *buf, int32_t n, int8_t *out) {
  const int32_t P = c->P;
  const uint32_t *xb = buf + g * c->gw;
  for (out += g * P; g * P < n; g++, out += P) {
    const int32_t left = n - g * P;
    int32_t acc[4] = {r->init, r->init, r->init, r->init};
    xb = pw_mac(P, w, c->nq, xb, acc);
    pw_store(c, r, acc, left < P ? left : P, out);
  }
}

/* out[0..n) = clamp(out, act_min, act_max): the assembly saturates to int8, and for
 * act_min, act_max in [-128, 127], clamp(SSAT8(v)) = clamp(v) (v beyond int8 compares the
 * same as its saturation against any bound inside int8). */
static void pw_clamp(const tt_conv_params_t *p, int8_t *out, int32_t n) {
  int32_t j;
  for (j = 0; j < n; j++) out[j] = (int8_t)tt_clamp_i32(out[j], p->act_min, p->act_max);
}

/* Every row over the n pixels (from p0) of the buffer, in groups of P pixels. Kept apart
 * and small: with the buffer fill inlined beside it GCC spills the row loop's state. */
__attribute__((noinline)) static void pw_block(const pw_ctx_t *c, const uint32_t *buf, uint32_t *rowbuf, int32_t p0,
                                               int32_t n, int8_t *y) {
  const tt_conv_params_t *p = c->p;
  const int32_t P = c->P, nfull = c->asm_ok ? n / P : 0;
  const int clamp = p->act_min != -128 || p->act_max != 127;
  pw_run_t k;
  int32_t o;
  k.wstep = c->nf;
  k.ostep = c->hw;
  k.span = nfull * P;
  k.z1 = 1 + 2 * p->out_zp;
  k.buf = buf;
  k.nq4 = 4 * c->nq;
  if (c->lean && nfull > 0) {
    /* Every row is lean: the assembly walks them all, or one at a time when gathered. */
    k.bias = p->bias;
    k.mult = p->multiplier;
    k.shift = p->shift;
    if (!c->row) {
      k.w = p->weight;
      k.out = y + p0;
      k.out_end = k.out + k.span;
      k.bias_end = p->bias + p->out_c;
      if (P == 4) pw_run4(&k);
      else pw_run2(&k);
    } else {
      for (o = 0; o < p->out_c; o++) {
        k.w = pw_weights(c, o, rowbuf);
        k.out = y + o * c->hw + p0;
        k.out_end = k.out + k.span;
        k.bias_end = k.bias + 1;
        if (P == 4) pw_run4(&k);
        else pw_run2(&k);
      }
    }
    for (o = 0; clamp && o < p->out_c; o++) pw_clamp(p, y + o * c->hw + p0, k.span);
    if (k.span == n) return;
  }
  for (o = 0; o < p->out_c; o++) {
    const int8_t *w = c->row ? pw_weights(c, o, rowbuf) : p->weight + o * c->nf;
    int8_t *out = y + o * c->hw + p0;
    int32_t g = 0;
    pw_row_t r;
    pw_row(c, o, &r);
    if (r.fast && nfull > 0 && !c->lean && (r.m == 0 || r.sh >= 2)) {
      /* This row through the assembly (which needs e >= 1), as a one-row array. */
      const int32_t b1 = r.m ? r.init / 2 : 0, s1 = r.m ? 1 - r.sh : -1;
      k.w = w;
      k.out = out;
      k.out_end = out + k.span;
      k.bias = &b1;
      k.mult = &r.m;
      k.shift = &s1;
      k.bias_end = &b1 + 1;
      if (P == 4) pw_run4(&k);
      else pw_run2(&k);
      if (clamp) pw_clamp(p, out, k.span);
      g = nfull;
    } else if (c->lean && nfull > 0) {
      g = nfull; /* done above */
    }
    pw_rest(c, &r, w, g, buf, n, out);
  }
}

/* Returns 0 (nothing written) for shapes the buffer does not hold or unusual zero points. */
static int pointwise_dsp(const tt_conv_params_t *p, const int8_t *x, int8_t *y) {
  pw_ctx_t c;
  int32_t p0, chunk;
  c.p = p;
  c.hw = (int32_t)p->in_h * p->in_w;
  c.in_c = p->in_c;
  c.nt = p->weight_train ? p->n_train : 0;
  c.nf = c.in_c - c.nt;
  c.qf = (c.nf + 3) >> 2;
  c.nq = c.qf + ((c.nt + 3) >> 2);
  if (c.hw <= 0 || c.in_c <= 0 || p->out_c == 0) return 0;
  if (c.hw == 1) {
    /* One pixel (a classifier): the same sum as a fully connected layer, whose optimized
     * path needs no buffer. */
    tt_fc_params_t f;
    f.in_features = p->in_c;
    f.out_features = p->out_c;
    f.in_zp = p->in_zp;
    f.out_zp = p->out_zp;
    f.act_min = p->act_min;
    f.act_max = p->act_max;
    f.weight = p->weight;
    f.bias = p->bias;
    f.multiplier = p->multiplier;
    f.shift = p->shift;
    f.weight_train = p->weight_train;
    f.in_slot = p->in_slot;
    f.n_train = p->n_train;
    tt_fully_connected_s8(&f, x, y);
    return 1;
  }
  /* 2·(x − in_zp) must fit an int16 lane; out_zp enters the fast-path bounds. */
  if (p->in_zp < -255 || p->in_zp > 255 || p->out_zp < -65536 || p->out_zp > 65536) return 0;
  /* Rows that are not one run of whole quads are gathered (pw_weights). */
  c.row = c.nt || (c.nf & 3);
  {
    /* Split layers and in_c % 4 read the input through a position -> channel map. */
    const int32_t nmap = (c.nt || (c.in_c & 3)) ? 4 * c.nq : 0;
    const int32_t rw = c.row ? c.nq : 0, cap = PW_BUF_WORDS - rw - nmap / 2;
    int32_t groups, fit, ng;
    if (8 * c.nq <= cap) c.P = 4;
    else if (4 * c.nq <= cap) c.P = 2;
    else return 0;
    c.gw = 2 * c.P * c.nq;
    c.zz = pw_word(-2 * p->in_zp, -2 * p->in_zp);
    c.sbound = 128 * (128 + (p->in_zp < 0 ? -p->in_zp : p->in_zp)) * c.in_c;
    {
      /* Every row takes pw_row's fast case when its bound 2A + 2^e + 1 + |zp|·2^(e+1) < 2^31
       * holds for e <= emax, where 2^emax·(1 + 2|zp|) <= 2^29: when
       * 2·|bias| < 2^31 − 1 − 2^29 − 2·sbound. Checked here once instead of per fill. */
      const int64_t zp2 = 1 + 2 * (int64_t)(p->out_zp < 0 ? -p->out_zp : p->out_zp);
      const int64_t l = ((int64_t)1 << 31) - 1 - ((int64_t)1 << 29) - 2 * (int64_t)c.sbound;
      const uint32_t bmax = l > 2 ? (uint32_t)((l - 1) / 2) : 0u;
      int32_t emax = 0, o;
      while (emax < 30 && (zp2 << (emax + 1)) <= ((int64_t)1 << 29)) emax++;
      c.asm_ok = p->act_min >= -128 && p->act_min <= 127 && p->act_max >= -128 && p->act_max <= 127;
      c.lean = c.asm_ok && p->bias && zp2 <= ((int64_t)1 << 29) && l > 2;
      for (o = 0; c.lean && o < p->out_c; o++) {
        const int32_t m = p->multiplier[o], s = p->shift[o];
        c.lean = m >= 0 && s <= -1 && s >= -emax && (uint32_t)p->bias[o] + bmax <= 2u * bmax;
      }
    }
    /* Pixels per buffer fill: as many groups as fit (row setup is paid once per fill). */
    groups = (c.hw + c.P - 1) / c.P;
    fit = cap / c.gw;
    ng = groups < fit ? groups : fit;
    {
      uint32_t buf[ng * c.gw + rw];
      int16_t map[nmap ? nmap : 1];
      if (nmap) {
        int32_t k, i;
        for (k = 0; k < nmap; k++) map[k] = (int16_t)~k; /* negative: padding */
        for (i = 0; i < c.in_c; i++) {
          const uint16_t sl = c.nt ? p->in_slot[i] : (uint16_t)i;
          map[(sl & TT_SLOT_TRAIN) ? 4 * c.qf + (int32_t)(sl & 0x7fffu) : (int32_t)sl] = (int16_t)i;
        }
      }
      c.map = nmap ? map : NULL;
      chunk = ng * c.P;
      for (p0 = 0; p0 < c.hw; p0 += chunk) {
        const int32_t n = c.hw - p0 < chunk ? c.hw - p0 : chunk;
        pw_fill(&c, x, p0, n, buf);
        pw_block(&c, buf, buf + ng * c.gw, p0, n, y);
      }
    }
  }
  return 1;
}
#endif /* TT_DSP */

void tt_pointwise_conv_s8(const tt_conv_params_t *p, const int8_t *x, int8_t *y) {
#if TT_DSP
  if (pointwise_dsp(p, x, y)) return;
#endif
  pointwise_portable(p, x, y);
}
