/* Fixed-point requantization, TFLite / gemmlowp double rounding.
 * Bit-exact with TFLite MultiplyByQuantizedMultiplier wherever that is defined; where
 * TFLite overflows (acc << shift leaves int32, UB in C) we saturate instead, which is
 * what the real-valued result needs (it is far outside int8 range either way).
 * Relies on >> of a negative int being arithmetic, as it is on gcc and every Arm compiler. */
#include "tt_fixedpoint.h"

int32_t tt_srdhm(int32_t a, int32_t b) {
  /* The only product that does not fit: (-2^31)^2 / 2^31 = 2^31. */
  if (a == b && a == INT32_MIN) return INT32_MAX;
  {
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    /* Division truncates toward zero; with the asymmetric nudge that is round-half-up. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
  }
}

int32_t tt_rdbpot(int32_t x, int32_t exponent) {
  if (exponent <= 0) return x;
  if (exponent > 31) {
    /* |x| <= 2^31, so |x / 2^exponent| <= 1/2: only -2^31 / 2^32 is a tie (away from 0). */
    return (exponent == 32 && x == INT32_MIN) ? -1 : 0;
  }
  {
    const int32_t mask = (int32_t)((1u << exponent) - 1u);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
  }
}

/* x * 2^n saturated to int32 (n >= 0). Any nonzero x saturates once n >= 31, so capping
 * n at 31 changes nothing and keeps the shifts defined. */
static int32_t sat_shl(int32_t x, int32_t n) {
  if (n > 31) n = 31;
  if (x > (INT32_MAX >> n)) return INT32_MAX;
  if (x < (INT32_MIN >> n)) return INT32_MIN;
  return (int32_t)((uint32_t)x << n);
}

int32_t tt_requantize(int32_t acc, int32_t multiplier, int32_t shift) {
  if (shift > 0) return tt_srdhm(sat_shl(acc, shift), multiplier);
  return tt_rdbpot(tt_srdhm(acc, multiplier), -shift);
}
