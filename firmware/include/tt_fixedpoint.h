/* Fixed-point requantization with the TFLite / gemmlowp / CMSIS-NN double rounding.
 * out = clamp(zp + MultiplyByQuantizedMultiplier(acc, multiplier, shift), min, max);
 * shift > 0 is a left shift of acc before the multiply. */
#ifndef TT_FIXEDPOINT_H
#define TT_FIXEDPOINT_H
#include <stdint.h>

/* Saturating rounding doubling high multiply (gemmlowp SaturatingRoundingDoublingHighMul). */
int32_t tt_srdhm(int32_t a, int32_t b);
/* Rounding divide by 2^exponent, ties away from zero (gemmlowp RoundingDivideByPOT). */
int32_t tt_rdbpot(int32_t x, int32_t exponent);
/* TFLite MultiplyByQuantizedMultiplier. */
int32_t tt_requantize(int32_t acc, int32_t multiplier, int32_t shift);

static inline int32_t tt_clamp_i32(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}
#endif
