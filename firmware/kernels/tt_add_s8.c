/* tt_add_s8: TFLite int8 Add. Each input, offset by its zero point and scaled up by
 * 2^left_shift for headroom, is brought to a common scale with its own multiplier; the sum
 * is requantized to the output. Input/output shifts are <= 0 in TFLite
 * (MultiplyByQuantizedMultiplierSmallerThanOneExp), which tt_requantize equals for those.
 * Elementwise, each output written after both inputs are read, so y may alias a or b.
 * left_shift <= 23 keeps (q − zp)·2^left_shift inside int32. */
#include "tt_kernels.h"
#include "tt_simd.h"

/* Out of line: inlined into the dispatcher, GCC compiles this loop about 12% slower. */
__attribute__((noinline)) static void add_portable(const tt_add_params_t *p, const int8_t *a, const int8_t *b, int8_t *y) {
  const int32_t lo = p->act_min - p->out_zp, hi = p->act_max - p->out_zp;
  const int32_t scale = (int32_t)1 << p->left_shift;
  uint32_t i;
  for (i = 0; i < p->size; i++) {
    const int32_t va = tt_requantize((a[i] - p->in1_zp) * scale, p->in1_multiplier, p->in1_shift);
    const int32_t vb = tt_requantize((b[i] - p->in2_zp) * scale, p->in2_multiplier, p->in2_shift);
    const int32_t v = tt_requantize(va + vb, p->out_multiplier, p->out_shift);
    y[i] = (int8_t)(tt_clamp_i32(v, lo, hi) + p->out_zp);
  }
}

#if TT_DSP
/* Cortex-M4/M7 path. Each rescaled input depends on one int8 only: two tables of the 256
 * values of va and vb (exact: tt_requantize, or its closed form where that is provably the
 * same), so an element is two loads, two table loads and the output requantization.
 * When the bounds allow, the output requantization is the closed form of tt_requantize
 * (see add_out): SMMULR, two ADD, ASR, SSAT; the tables then hold 2·va and 2·vb, the
 * doubled sum SMMULR needs. Tables: 2 KB of stack. */
#if defined(TT_DSP_NATIVE)
static inline int32_t add_smmulr(int32_t a, int32_t b) {
  int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
/* SSAT8((rnd + 2x + (x >> 31)) >> sh), x = SMMULR(acc2, m). */
static inline int32_t add_rq8(int32_t acc2, int32_t m, int32_t rnd, int32_t sh) {
  int32_t x, t;
  __asm__("smmulr %[x], %[a], %[m]\n\t"
          "add    %[t], %[r], %[x], lsl #1\n\t"
          "add    %[t], %[t], %[x], asr #31\n\t"
          "asr    %[t], %[t], %[s]\n\t"
          "ssat   %[t], #8, %[t]"
          : [x] "=&r"(x), [t] "=&r"(t)
          : [a] "r"(acc2), [m] "r"(m), [r] "r"(rnd), [s] "r"(sh));
  return t;
}
#else
static inline int32_t add_smmulr(int32_t a, int32_t b) { return (int32_t)(((int64_t)a * b + 0x80000000LL) >> 32); }
static inline int32_t add_rq8(int32_t acc2, int32_t m, int32_t rnd, int32_t sh) {
  const int32_t x = add_smmulr(acc2, m);
  return tt_clamp_i32((int32_t)((uint32_t)rnd + ((uint32_t)x << 1) + (uint32_t)(x >> 31)) >> sh, -128, 127);
}
#endif

static inline int64_t add_abs(int32_t v) { return v < 0 ? -(int64_t)v : v; }

/* t[q + 128] = tt_requantize((q − zp)·2^ls, m, s) for q in [-128, 127]; returns max |entry|. With m >= 0, −31 <= s <= 0 and |(q − zp)·2^ls| < 2^30,
 * tt_requantize is rdbpot(srdhm(acc, m), −s) with srdhm = SMMULR(2·acc, m) and
 * rdbpot(x, e) = (x + 2^(e−1) + (x >> 31)) >> e for |x| < 2^30 (common.md). */
static int64_t add_table(int32_t *t, int32_t zp, int32_t ls, int32_t m, int32_t s) {
  const int fast = m >= 0 && s <= 0 && s >= -31 && ls >= 0 && ls <= 22 &&
                   (128 + add_abs(zp)) * ((int64_t)1 << ls) < ((int64_t)1 << 30);
  const int32_t e = fast ? -s : 0, rnd = e > 0 ? (int32_t)1 << (e - 1) : 0;
  int64_t mx = 0;
  int32_t q;
  for (q = -128; q < 128; q++) {
    int32_t v;
    if (fast) {
      const int32_t x = add_smmulr((int32_t)((uint32_t)(q - zp) << (ls + 1)), m);
      v = e > 0 ? (x + rnd + (x >> 31)) >> e : x;
    } else {
      v = tt_requantize((q - zp) * ((int32_t)1 << ls), m, s);
    }
    if (add_abs(v) > mx) mx = add_abs(v);
    t[q + 128] = v;
  }
  return mx;
}

static void add_dsp(const tt_add_params_t *p, const int8_t *a, const int8_t *b, int8_t *y) {
  int32_t ta[256], tb[256];
  const int32_t zp = p->out_zp, mo = p->out_multiplier, so = p->out_shift, n = (int32_t)p->size;
  const int32_t *const pa = ta + 128, *const pb = tb + 128;
  int64_t ma, mb;
  int32_t i, fast = 0, m = 0, rnd = 0, sh = 1;
  /* The bound needs the tables; build them undoubled, check, double in place if fast. */
  ma = add_table(ta, p->in1_zp, p->left_shift, p->in1_multiplier, p->in1_shift);
  mb = add_table(tb, p->in2_zp, p->left_shift, p->in2_multiplier, p->in2_shift);
  {
    /* Output: tt_requantize(acc, mo, so) + zp with |acc| <= A = ma + mb is, for mo >= 0,
     * 0 <= e = −so <= 30, (2x + 2^e + (x >> 31) + zp·2^(e+1)) >> (e+1), x = SMMULR(2·acc, mo),
     * when 2A + 2^e + 1 + |zp|·2^(e+1) < 2^31 (as in tt_pointwise_conv_s8); if instead
     * A < 2^(e−1), it is zp for every acc (mo = 0 gives that). */
    const int64_t A = ma + mb, lim = (int64_t)1 << 31, azp = add_abs(zp);
    if (mo >= 0 && so <= 0 && so >= -63 && 2 * A < lim && azp <= 65536) {
      const int32_t e = -so;
      if (e <= 30 && 2 * A + ((int64_t)1 << e) + 1 + (azp << (e + 1)) < lim) {
        fast = 1, m = mo, rnd = (int32_t)((1u + 2u * (uint32_t)zp) << e), sh = e + 1;
      } else if (e >= 1 && (e > 31 || A < ((int64_t)1 << (e - 1)))) {
        fast = 1, m = 0, rnd = 1 + 2 * zp, sh = 1;
      }
    }
  }
  if (fast) {
    for (i = 0; i < 256; i++) {
      ta[i] *= 2;
      tb[i] *= 2;
    }
    if (p->act_min == -128 && p->act_max == 127) {
      /* Four elements per pass: fewer loop instructions. */
      for (i = 0; i + 4 <= n; i += 4) {
        const int32_t s0 = pa[a[i]] + pb[b[i]], s1 = pa[a[i + 1]] + pb[b[i + 1]];
        const int32_t s2 = pa[a[i + 2]] + pb[b[i + 2]], s3 = pa[a[i + 3]] + pb[b[i + 3]];
        y[i] = (int8_t)add_rq8(s0, m, rnd, sh);
        y[i + 1] = (int8_t)add_rq8(s1, m, rnd, sh);
        y[i + 2] = (int8_t)add_rq8(s2, m, rnd, sh);
        y[i + 3] = (int8_t)add_rq8(s3, m, rnd, sh);
      }
      for (; i < n; i++) y[i] = (int8_t)add_rq8(pa[a[i]] + pb[b[i]], m, rnd, sh);
    } else {
      for (i = 0; i < n; i++) {
        const int32_t s = pa[a[i]] + pb[b[i]], x = add_smmulr(s, m);
        const int32_t v = (int32_t)((uint32_t)rnd + ((uint32_t)x << 1) + (uint32_t)(x >> 31)) >> sh;
        y[i] = (int8_t)tt_clamp_i32(v, p->act_min, p->act_max);
      }
    }
  } else {
    const int32_t lo = p->act_min - zp, hi = p->act_max - zp;
    for (i = 0; i < n; i++) {
      /* The sum wraps like the portable int32 one would (tables hold exact values). */
      const int32_t s = (int32_t)((uint32_t)pa[a[i]] + (uint32_t)pb[b[i]]);
      y[i] = (int8_t)(tt_clamp_i32(tt_requantize(s, mo, so), lo, hi) + zp);
    }
  }
}
#endif /* TT_DSP */

void tt_add_s8(const tt_add_params_t *p, const int8_t *a, const int8_t *b, int8_t *y) {
#if TT_DSP
  /* Two 256-entry tables cost ~5 K instructions to build: worth it beyond a few dozen
   * elements. The tables need (q − zp)·2^left_shift in int32 like the portable code. */
  if (p->size >= 64 && p->left_shift >= 0 && p->left_shift <= 23) {
    add_dsp(p, a, b, y);
    return;
  }
#endif
  add_portable(p, a, b, y);
}
