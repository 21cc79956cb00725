// Numeric helpers shared by the stages.

/** Round half away from zero (TFLite's std::round), exact for every double (Math.round is
 * exact where floor(x + 0.5) is not, e.g. for 0.49999999999999994). */
export function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}
