/* tt_math: portable single-precision expf / logf / cosf for the training runtime.
 *
 * libm is not used because its results differ between newlib (Cortex-M) and glibc (host);
 * these functions use only + − × ÷, float↔int conversions and bit manipulation, all
 * IEEE-754 single precision with round-to-nearest, so with -ffp-contract=off every target
 * returns the same bits. No double anywhere (the Cortex-M FPU is single precision).
 *
 * Algorithms, polynomial coefficients and reduction constants are fdlibm's (FreeBSD
 * msun e_expf.c, e_logf.c, k_cosf.c, k_sinf.c, e_rem_pio2f.c):
 *   Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
 *   Developed at SunPro, a Sun Microsystems, Inc. business. Permission to use, copy,
 *   modify, and distribute this software is freely granted, provided that this notice
 *   is preserved.
 *
 * Ranges and accuracy (test/train-kernels.test.ts measures them against Math.*):
 *   tt_expf  every float. x > 88.7228 → +inf, x < −103.97 → 0, NaN → NaN. Error < 1 ulp
 *            for normal results; results below 2^-126 (x < −87.3) are subnormal and
 *            may be off by 1 unit of 2^-149.
 *   tt_logf  x > 0 including subnormals: < 1 ulp. log(0) = −inf, x < 0 or NaN → NaN,
 *            log(+inf) = +inf.
 *   tt_cosf  |x| <= 201 (2^7·π/2; schedules need |x| <= 8): < 1 ulp, also next to the
 *            zeros of cos (three-stage Cody–Waite reduction). |x| > 201 is reduced with
 *            a growing error; |x| >= 2^23 or non-finite returns NaN. */
#include "tt_train.h"

typedef union { float f; uint32_t u; int32_t i; } tt_fbits;

static float from_bits(uint32_t u) { tt_fbits b; b.u = u; return b.f; }
static uint32_t to_bits(float f) { tt_fbits b; b.f = f; return b.u; }

/* ---- exp ------------------------------------------------------------------------- */

static const float LN2_HI = 6.9314575195e-01f; /* 0x3f317200: k·LN2_HI exact for |k| < 2^9 */
static const float LN2_LO = 1.4286067653e-06f; /* 0x35bfbe8e */
static const float INV_LN2 = 1.4426950216e+00f;
/* |x·(e^x+1)/(e^x−1) − p(x)| < 2^-27.74 on [−0.34568, 0.34568] */
static const float EXP_P1 = 1.6666625440e-1f;
static const float EXP_P2 = -2.7667332906e-3f;

float tt_expf(float x) {
  const uint32_t hx = to_bits(x) & 0x7fffffffu;
  const int neg = (int)(to_bits(x) >> 31);
  float hi, lo, c, xx, y;
  int32_t k;
  if (hx >= 0x42aeac50u) {                  /* |x| >= 87.33655 or NaN */
    if (hx > 0x7f800000u) return x;         /* NaN */
    if (!neg && hx >= 0x42b17218u) return from_bits(0x7f800000u); /* x >= 88.72284: +inf */
    if (neg && hx >= 0x42cff1b5u) return 0.0f;                    /* x <= −103.97208 */
  }
  if (hx > 0x3eb17218u) {                   /* |x| > ln2/2: x = k·ln2 + r, |r| <= ln2/2 */
    float kf;
    if (hx > 0x3f851592u)                   /* |x| > 1.5·ln2 */
      k = (int32_t)(INV_LN2 * x + (neg ? -0.5f : 0.5f));
    else
      k = neg ? -1 : 1;
    kf = (float)k;
    hi = x - kf * LN2_HI;
    lo = kf * LN2_LO;
    x = hi - lo;
  } else if (hx > 0x39000000u) {            /* |x| > 2^-14 */
    k = 0;
    hi = x;
    lo = 0.0f;
  } else {
    return 1.0f + x;                        /* exact enough: e^x = 1 + x + O(2^-29) */
  }
  /* e^r = 1 + r + r·c/(2 − c), c = r − r²·p(r²) (fdlibm's rational form) */
  xx = x * x;
  c = x - xx * (EXP_P1 + xx * EXP_P2);
  y = 1.0f + (x * c / (2.0f - c) - lo + hi);
  if (k == 0) return y;
  /* y·2^k by exponent arithmetic; y ∈ [0.7, 1.5) so k >= −125 keeps a normal result. */
  if (k >= -125) {
    if (k > 127) return y * 2.0f * from_bits((uint32_t)(127 + k - 1) << 23);
    return y * from_bits((uint32_t)(127 + k) << 23);
  }
  return y * from_bits((uint32_t)(127 + k + 100) << 23) * from_bits(0x0d800000u); /* 2^-100 */
}

/* ---- log ------------------------------------------------------------------------- */

static const float LOG_LN2_HI = 6.9313812256e-01f; /* 0x3f317180 */
static const float LOG_LN2_LO = 9.0580006145e-06f; /* 0x3717f7d1 */
/* |(log(1+s) − log(1−s))/s − Lg(s)| < 2^-34.24 */
static const float LG1 = 0.66666662693f;   /* 0xaaaaaa.0p-24 */
static const float LG2 = 0.40000972152f;   /* 0xccce13.0p-25 */
static const float LG3 = 0.28498786688f;   /* 0x91e9ee.0p-25 */
static const float LG4 = 0.24279078841f;   /* 0xf89e26.0p-26 */

float tt_logf(float x) {
  int32_t ix = (int32_t)to_bits(x), k = 0, i, j;
  float f, s, z, w, r, t1, t2, hfsq, dk;
  if (ix < 0x00800000) {                    /* x < 2^-126, x <= 0 or negative */
    if ((ix & 0x7fffffff) == 0) return from_bits(0xff800000u);  /* log(±0) = −inf */
    if (ix < 0) return from_bits(0x7fc00000u);                  /* log(x<0) = NaN */
    k -= 25;                                /* subnormal: scale by 2^25 */
    x *= 33554432.0f;
    ix = (int32_t)to_bits(x);
  }
  if (ix >= 0x7f800000) return x + x;       /* +inf or NaN */
  k += (ix >> 23) - 127;
  ix &= 0x007fffff;
  /* normalize the mantissa to [sqrt(2)/2, sqrt(2)): x = 2^k·(1 + f) */
  i = (ix + (0x95f64 << 3)) & 0x800000;
  x = from_bits((uint32_t)(ix | (i ^ 0x3f800000)));
  k += i >> 23;
  f = x - 1.0f;
  dk = (float)k;
  if ((0x007fffff & (0x8000 + ix)) < 0xc000) {  /* |f| < 2^-9 */
    if (f == 0.0f) return k == 0 ? 0.0f : dk * LOG_LN2_HI + dk * LOG_LN2_LO;
    r = f * f * (0.5f - 0.33333333333f * f);
    if (k == 0) return f - r;
    return dk * LOG_LN2_HI - ((r - dk * LOG_LN2_LO) - f);
  }
  s = f / (2.0f + f);
  z = s * s;
  i = ix - (0x6147a << 3);
  w = z * z;
  j = (0x6b851 << 3) - ix;
  t1 = w * (LG2 + w * LG4);
  t2 = z * (LG1 + w * LG3);
  i |= j;
  r = t2 + t1;
  if (i > 0) {
    hfsq = 0.5f * f * f;
    if (k == 0) return f - (hfsq - s * (hfsq + r));
    return dk * LOG_LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LOG_LN2_LO)) - f);
  }
  if (k == 0) return f - s * (f - r);
  return dk * LOG_LN2_HI - ((s * (f - r) - dk * LOG_LN2_LO) - f);
}

/* ---- cos ------------------------------------------------------------------------- */

static const float INV_PIO2 = 6.3661980629e-01f; /* 24 bits of 2/π */
static const float PIO2_1 = 1.5707855225e+00f;   /* first 17 bits of π/2: n·PIO2_1 exact, n < 2^7 */
static const float PIO2_1T = 1.0804334124e-05f;  /* π/2 − PIO2_1 */
static const float PIO2_2 = 1.0804273188e-05f;   /* second 17 bits */
static const float PIO2_2T = 6.0770999344e-11f;  /* π/2 − (PIO2_1 + PIO2_2) */
static const float PIO2_3 = 6.0770943833e-11f;   /* third 17 bits */
static const float PIO2_3T = 6.1232342629e-17f;  /* π/2 − (PIO2_1 + PIO2_2 + PIO2_3) */

static const float C1 = 4.1666667908e-02f, C2 = -1.3888889225e-03f, C3 = 2.4801587642e-05f,
                   C4 = -2.7557314297e-07f, C5 = 2.0875723372e-09f, C6 = -1.1359647598e-11f;
static const float S1 = -1.6666667163e-01f, S2 = 8.3333337680e-03f, S3 = -1.9841270114e-04f,
                   S4 = 2.7557314297e-06f, S5 = -2.5050759689e-08f, S6 = 1.5896910177e-10f;

/* cos(x + y) for |x| <= π/4, y a tiny tail of x. cos = 1 − x²/2 + x⁴·c(x²) − x·y, with
 * the two large terms kept exact so the final addition is the only full rounding
 * (< 0.6 ulp): x = xh + xl with xh of 12 bits makes xh² exact, and 1 − xh²/2 is split
 * into t + e exactly (Fast2Sum, 1 >= xh²/2). fdlibm's float kernel rounds 1 − x/4 and
 * x²/2 − x/4 separately and reaches 1.2 ulp. */
static float kernel_cos(float x, float y) {
  const uint32_t ix = to_bits(x) & 0x7fffffffu;
  const float xh = from_bits(to_bits(x) & 0xfffff000u), xl = x - xh;
  const float zh = xh * xh, zl = xl * (x + xh);  /* x² = zh + zl (zl rounded, tiny) */
  const float z = zh + zl;
  const float r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  const float hw = 0.5f * zh, t = 1.0f - hw, e = (1.0f - t) - hw;
  if (ix < 0x32000000u) return 1.0f;        /* |x| < 2^-27 */
  return t + (e - (0.5f * zl - (z * r - x * y)));
}

/* sin(x + y) for |x| <= π/4. */
static float kernel_sin(float x, float y) {
  const uint32_t ix = to_bits(x) & 0x7fffffffu;
  const float z = x * x, v = z * x;
  const float r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  if (ix < 0x32000000u) return x;
  return x - ((z * (0.5f * y - v * r) - y) - v * S1);
}

float tt_cosf(float x) {
  const uint32_t ix = to_bits(x) & 0x7fffffffu;
  const float t = from_bits(ix);            /* |x|: cos is even */
  float fn, r, w, y0, y1, u;
  int32_t n, j, e;
  if (ix <= 0x3f490fd8u) return kernel_cos(t, 0.0f); /* |x| <= π/4 */
  if (ix >= 0x4b000000u) return from_bits(0x7fc00000u); /* >= 2^23, inf, NaN */
  /* |x| = n·π/2 + y0 + y1, |y0| <= π/4, with π/2 in three 17-bit pieces as needed. */
  n = (int32_t)(t * INV_PIO2 + 0.5f);
  fn = (float)n;
  r = t - fn * PIO2_1;
  w = fn * PIO2_1T;                         /* first round: 40 bits */
  j = (int32_t)(ix >> 23);
  y0 = r - w;
  e = j - (int32_t)((to_bits(y0) >> 23) & 0xff);
  if (e > 8) {                              /* cancellation: second round, 57 bits */
    u = r;
    w = fn * PIO2_2;
    r = u - w;
    w = fn * PIO2_2T - ((u - r) - w);
    y0 = r - w;
    e = j - (int32_t)((to_bits(y0) >> 23) & 0xff);
    if (e > 25) {                           /* third round, 74 bits */
      u = r;
      w = fn * PIO2_3;
      r = u - w;
      w = fn * PIO2_3T - ((u - r) - w);
      y0 = r - w;
    }
  }
  y1 = (r - y0) - w;
  switch (n & 3) {
    case 0: return kernel_cos(y0, y1);
    case 1: return -kernel_sin(y0, y1);
    case 2: return -kernel_cos(y0, y1);
    default: return kernel_sin(y0, y1);
  }
}
