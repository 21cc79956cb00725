// Formatting helpers for generated C.

/** A float32 literal that round-trips exactly (9 significant digits). */
export function cFloat(x: number): string {
  const f = Math.fround(x);
  if (!Number.isFinite(f)) throw new Error(`non-finite constant ${x}`);
  let s = f.toPrecision(9);
  if (!/[.e]/.test(s)) s += '.0';
  return `${s}f`;
}

/** An int32 literal; INT32_MIN cannot be written directly in C. */
export function cInt(v: number): string {
  return v === -2147483648 ? '(-2147483647 - 1)' : String(v);
}

/** Array body, `perLine` values a line, indented. */
export function cArrayBody(values: ArrayLike<number>, perLine: number, fmt: (v: number) => string = cInt): string {
  const lines: string[] = [];
  for (let i = 0; i < values.length; i += perLine) {
    const row: string[] = [];
    for (let j = i; j < Math.min(values.length, i + perLine); j++) row.push(fmt(values[j]));
    lines.push(`  ${row.join(', ')},`);
  }
  return lines.join('\n');
}
