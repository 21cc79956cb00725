// Tensor lifetimes over the fixed schedule, with aliases merged into their base buffer.
import { PlanInput, TensorKind } from './types';

export interface Interval { name: string; kind: TensorKind; bytes: number; first: number; last: number }

export function resolveAlias(name: string, aliases: Record<string, string>): string {
  let n = name;
  for (let guard = 0; aliases[n] !== undefined; guard++) {
    if (guard > 10000) throw new Error(`alias cycle at tensor '${name}'`);
    n = aliases[n];
  }
  return n;
}

export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/**
 * One interval per base buffer (aliases merged into it), in the order of input.tensors.
 * Linear in the number of tensors plus step accesses. A buffer is live from the step that
 * first touches it to the step that last does (inclusive); liveAtStart/liveAtEnd stretch
 * it to step -1 / step steps.length, also when the flag is set on one of its aliases.
 */
export function lifetimes(input: PlanInput): Interval[] {
  const end = input.steps.length;
  const align = input.alignment > 0 ? input.alignment : 1;
  const byName = new Map<string, Interval>();
  for (const t of input.tensors) {
    if (input.aliases[t.name] !== undefined) continue;
    byName.set(t.name, { name: t.name, kind: t.kind, bytes: alignUp(t.bytes, align), first: Infinity, last: -Infinity });
  }
  const resolved = new Map<string, Interval | undefined>();
  const base = (raw: string): Interval | undefined => {
    if (resolved.has(raw)) return resolved.get(raw);
    const iv = byName.get(resolveAlias(raw, input.aliases));
    resolved.set(raw, iv);
    return iv;
  };
  for (const t of input.tensors) {
    if (!t.liveAtStart && !t.liveAtEnd) continue;
    const iv = base(t.name);
    if (!iv) continue;
    if (t.liveAtStart) iv.first = -1;
    if (t.liveAtEnd) iv.last = end;
  }
  const touch = (raw: string, step: number): void => {
    const iv = base(raw);
    if (!iv) throw new Error(`step ${step} uses unknown tensor '${raw}'`);
    if (step < iv.first) iv.first = step;
    if (step > iv.last) iv.last = step;
  };
  input.steps.forEach((s, i) => {
    for (const t of s.writes) touch(t, i);
    for (const t of s.reads) touch(t, i);
  });
  const out: Interval[] = [];
  for (const iv of byName.values()) {
    if (iv.first === Infinity) {
      // Never used by a step: no bytes, unless main reads it after the last step.
      if (iv.last !== end) continue;
      iv.first = end;
    }
    if (iv.last < iv.first) iv.last = iv.first;
    out.push(iv);
  }
  return out;
}
