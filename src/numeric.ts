// Numeric helpers shared by the stages.

/** Round half away from zero (TFLite's std::round), exact for every double (Math.round is
 * exact where floor(x + 0.5) is not, e.g. for 0.49999999999999994). */
export function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/** Small seeded PRNG (mulberry32): reproducible without dependencies. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
