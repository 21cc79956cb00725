// Static arena planning: place every buffer at an offset so that buffers whose lifetimes
// overlap never share bytes. Several greedy orders are tried; the best one is kept, and
// the search stops as soon as one reaches the lower bound.
import { Interval, lifetimes } from './lifetimes';
import { Plan, PlanInput } from './types';

export function lowerBound(ivs: Interval[]): { bytes: number; step: number; live: string[] } {
  const steps = new Set<number>();
  ivs.forEach((iv) => steps.add(iv.first));
  let best = { bytes: 0, step: 0, live: [] as string[] };
  for (const s of steps) {
    let total = 0;
    const live: string[] = [];
    for (const iv of ivs) if (iv.first <= s && s <= iv.last) { total += iv.bytes; live.push(iv.name); }
    if (total > best.bytes) best = { bytes: total, step: s, live };
  }
  return best;
}

/** Best-fit placement in the given order: the smallest gap that holds the buffer. */
function place(order: Interval[], alignment: number): { offsets: Map<string, number>; size: number } {
  const placed: { iv: Interval; offset: number }[] = [];
  const offsets = new Map<string, number>();
  let size = 0;
  for (const iv of order) {
    const busy = placed
      .filter((p) => p.iv.first <= iv.last && iv.first <= p.iv.last)
      .map((p) => [p.offset, p.offset + p.iv.bytes] as [number, number])
      .sort((a, b) => a[0] - b[0]);
    let bestOffset = -1;
    let bestGap = Infinity;
    let cursor = 0;
    for (const [lo, hi] of busy) {
      const gap = lo - cursor;
      if (gap >= iv.bytes && gap < bestGap) { bestGap = gap; bestOffset = cursor; }
      cursor = Math.max(cursor, Math.ceil(hi / alignment) * alignment);
    }
    if (bestOffset < 0) bestOffset = cursor;
    offsets.set(iv.name, bestOffset);
    placed.push({ iv, offset: bestOffset });
    size = Math.max(size, bestOffset + iv.bytes);
  }
  return { offsets, size };
}

const orders: Record<string, (a: Interval, b: Interval) => number> = {
  'size-desc': (a, b) => b.bytes - a.bytes || a.first - b.first,
  'area-desc': (a, b) => b.bytes * (b.last - b.first + 1) - a.bytes * (a.last - a.first + 1) || b.bytes - a.bytes,
  'lifetime-desc': (a, b) => (b.last - b.first) - (a.last - a.first) || b.bytes - a.bytes,
  'first-asc': (a, b) => a.first - b.first || b.bytes - a.bytes,
};

export function planMemory(input: PlanInput): Plan {
  const ivs = lifetimes(input);
  const lb = lowerBound(ivs);
  let best: { strategy: string; offsets: Map<string, number>; size: number } | undefined;
  for (const [strategy, cmp] of Object.entries(orders)) {
    const r = place([...ivs].sort(cmp), input.alignment);
    if (!best || r.size < best.size) best = { strategy, ...r };
    if (best.size <= lb.bytes) break;
  }
  const chosen = best ?? { strategy: 'empty', offsets: new Map<string, number>(), size: 0 };
  return {
    arenaBytes: chosen.size,
    lowerBoundBytes: lb.bytes,
    peakStep: lb.step,
    liveAtPeak: lb.live,
    buffers: ivs.map((iv) => ({ ...iv, offset: chosen.offsets.get(iv.name) ?? 0 })),
    aliases: input.aliases,
    strategy: chosen.strategy,
  };
}
