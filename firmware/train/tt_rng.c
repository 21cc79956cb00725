/* tt_rng: xorshift32 (Marsaglia, shifts 13, 17, 5), the deterministic source of the
 * stochastic-rounding draws. Integer-only, so every target produces the same sequence.
 * A zero state stays zero (the caller seeds with a non-zero value). */
#include "tt_train.h"

uint32_t tt_rng_next(tt_rng_t *r) {
  uint32_t x = r->state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  r->state = x;
  return x;
}

/* The top 24 bits scaled by 2^-24: exact in float, in [0, 1 − 2^-24]. */
float tt_rng_uniform(tt_rng_t *r) {
  return (float)(tt_rng_next(r) >> 8) * 5.9604644775390625e-8f;
}
