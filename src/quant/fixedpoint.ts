// Fixed-point helpers with the TFLite / gemmlowp conventions (see DESIGN.md, Numerics).

export interface QMultiplier { multiplier: number; shift: number; }

/**
 * TFLite QuantizeMultiplier: real = multiplier·2^(shift−31), multiplier in [2^30, 2^31).
 * frexp, round half up on the 31-bit mantissa, 2^31 folds to 2^30 with shift+1, and a
 * multiplier too small to represent (shift < −31) becomes (0, 0).
 */
export function quantizeMultiplier(real: number): QMultiplier {
  if (!(real > 0) || !Number.isFinite(real)) {
    if (real === 0) return { multiplier: 0, shift: 0 };
    throw new RangeError(`cannot encode multiplier ${real}`);
  }
  const [q, e] = frexp(real);
  let shift = e;
  let m = Math.floor(q * 2 ** 31 + 0.5);
  if (m === 2 ** 31) { m = 2 ** 30; shift += 1; }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  if (shift > 30) throw new RangeError(`multiplier ${real} is too large for int32 requantization`);
  return { multiplier: m, shift };
}

/** C frexp for positive finite doubles: x = q·2^e with q in [0.5, 1). Exact. */
export function frexp(x: number): [number, number] {
  let e = Math.floor(Math.log2(x)) + 1;
  let q = x * 2 ** -e;
  // log2 can be off by one near powers of two; fix up so that q is in [0.5, 1).
  while (q >= 1) { q /= 2; e += 1; }
  while (q < 0.5) { q *= 2; e -= 1; }
  return [q, e];
}

const I32_MIN = -2147483648;
const I32_MAX = 2147483647;

/** gemmlowp SaturatingRoundingDoublingHighMul. */
export function srdhm(a: number, b: number): number {
  if (a === I32_MIN && b === I32_MIN) return I32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  // Division truncating toward zero, as the C reference does.
  return Number((ab + nudge) / (1n << 31n));
}

/** gemmlowp RoundingDivideByPOT: ties away from zero. */
export function rdbpot(x: number, exponent: number): number {
  if (exponent === 0) return x;
  const mask = (1 << exponent) - 1 >>> 0;
  const remainder = (x & mask) >>> 0;
  const threshold = (mask >>> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** TFLite MultiplyByQuantizedMultiplier (shift > 0: left shift before the multiply). */
export function requantize(acc: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  // Saturate where acc·2^left leaves int32 (the C runtime does the same; TFLite's wrap is UB).
  const wide = acc * 2 ** left;
  const shifted = Math.min(I32_MAX, Math.max(I32_MIN, wide));
  return rdbpot(srdhm(shifted, multiplier), right);
}

export { roundHalfAway } from '../numeric';
