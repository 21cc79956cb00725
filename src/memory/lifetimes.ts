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

export function lifetimes(input: PlanInput): Interval[] {
  const end = input.steps.length;
  const byName = new Map<string, Interval>();
  for (const t of input.tensors) {
    if (input.aliases[t.name] !== undefined) continue;
    byName.set(t.name, { name: t.name, kind: t.kind, bytes: alignUp(t.bytes, input.alignment), first: t.liveAtStart ? -1 : Infinity, last: t.liveAtEnd ? end : -Infinity });
  }
  const touch = (raw: string, step: number): void => {
    const iv = byName.get(resolveAlias(raw, input.aliases));
    if (!iv) throw new Error(`step ${step} uses unknown tensor '${raw}'`);
    iv.first = Math.min(iv.first, step);
    iv.last = Math.max(iv.last, step);
  };
  input.steps.forEach((s, i) => {
    s.writes.forEach((t) => touch(t, i));
    s.reads.forEach((t) => touch(t, i));
  });
  const out: Interval[] = [];
  for (const iv of byName.values()) {
    if (iv.first === Infinity) continue; // never used: no bytes
    if (iv.last < iv.first) iv.last = iv.first;
    out.push(iv);
  }
  return out;
}
