// Static arena planning: place every buffer at an offset so that buffers whose lifetimes
// overlap never share bytes, in an arena as close as possible to the lower bound (the
// largest total of bytes live at one step).
//
//  1. Lifetimes are split into connected components of the conflict graph (buffers live
//     at a common step); each is planned on its own from offset 0 and the arena is the
//     largest of them. Zero-byte buffers take offset 0.
//  2. Each component gets several greedy placements (best fit in size, area, lifetime,
//     first-use, conflict-count order; a stack order that is exact when lifetimes nest;
//     TFLite Micro's and TVM USMP's greedy planners) and keeps the smallest.
//  3. Components still above the target get a local search over the placement order
//     (search.ts), under a work budget counted in neighbour visits and with a fixed seed:
//     plans are reproducible and do not depend on the machine's speed.
//  4. The search stops as soon as the arena equals the lower bound.
import { Interval, lifetimes } from './lifetimes';
import { byFirst, components, conflictGraph, Lifetimes, peakLoad } from './intervals';
import { FitRule, GREEDY_ORDERS, Instance, localSearch, Placer } from './search';
import { Plan, PlanInput, PlanSearchStats } from './types';

export interface PlanOptions {
  /**
   * Work budget of the local search, in neighbour visits (about 10 ns each). The default
   * keeps a few thousand buffers well under a second; 0 keeps the best greedy placement.
   */
  effort?: number;
  /** Seed of the local search. */
  seed?: number;
}

export const DEFAULT_EFFORT = 20_000_000;
const DEFAULT_SEED = 0x7417;

function toLifetimes(ivs: Interval[]): Lifetimes {
  return {
    n: ivs.length,
    size: Float64Array.from(ivs, (iv) => iv.bytes),
    first: Float64Array.from(ivs, (iv) => iv.first),
    last: Float64Array.from(ivs, (iv) => iv.last),
  };
}

/**
 * The largest total of bytes live at one step, the earliest step where it is reached, and
 * the buffers live there (in the given order). One sweep: O(n log n).
 */
export function lowerBound(ivs: Interval[]): { bytes: number; step: number; live: string[] } {
  if (ivs.length === 0) return { bytes: 0, step: 0, live: [] };
  const peak = peakLoad(toLifetimes(ivs));
  if (peak.bytes <= 0) return { bytes: 0, step: 0, live: [] };
  const live = ivs.filter((iv) => iv.first <= peak.step && peak.step <= iv.last).map((iv) => iv.name);
  return { bytes: peak.bytes, step: peak.step, live };
}

interface ComponentPlan {
  members: Int32Array;         // global interval indices
  off: Float64Array;           // offsets, by local index
  arena: number;
  strategy: string;
  greedy: Map<string, number>; // arena of each greedy order
  searched: boolean;
}

function subLifetimes(lt: Lifetimes, members: Int32Array): Lifetimes {
  return {
    n: members.length,
    size: Float64Array.from(members, (i) => lt.size[i]),
    first: Float64Array.from(members, (i) => lt.first[i]),
    last: Float64Array.from(members, (i) => lt.last[i]),
  };
}

export function planMemory(input: PlanInput, opts: PlanOptions = {}): Plan {
  const effort = opts.effort ?? DEFAULT_EFFORT;
  const seed = opts.seed ?? DEFAULT_SEED;
  const ivs = lifetimes(input);
  const lb = lowerBound(ivs);

  // Only buffers with bytes take part; the others sit at offset 0.
  const sized = ivs.map((iv, i) => i).filter((i) => ivs[i].bytes > 0);
  const lt = toLifetimes(sized.map((i) => ivs[i]));
  const comps = components(lt, byFirst(lt));

  const plans: ComponentPlan[] = [];
  const instances: Instance[] = [];
  const starts: { perm: Int32Array; rule: FitRule }[] = [];
  for (const members of comps) {
    const sub = subLifetimes(lt, members);
    const inst: Instance = { lt: sub, g: conflictGraph(sub), names: Array.from(members, (i) => ivs[sized[i]].name) };
    const placer = new Placer(inst);
    const greedy = new Map<string, number>();
    let best: { name: string; arena: number; off: Float64Array; perm: Int32Array; rule: FitRule } | undefined;
    for (const o of GREEDY_ORDERS) {
      const perm = o.order(inst);
      const arena = placer.decode(perm, o.rule);
      greedy.set(o.name, arena);
      if (!best || arena < best.arena) best = { name: o.name, arena, off: placer.off.slice(), perm, rule: o.rule };
      if (best.arena <= lb.bytes) break;
    }
    const b = best!;
    plans.push({ members, off: b.off, arena: b.arena, strategy: b.name, greedy, searched: false });
    instances.push(inst);
    starts.push({ perm: b.perm, rule: b.rule });
  }

  // Local search on the components above the target, highest first. A component that
  // cannot reach the lower bound raises the target for the others (they need not go lower).
  const stats: PlanSearchStats = { components: plans.length, searched: 0, iterations: 0, accepted: 0, improvements: 0, work: 0, greedyBytes: 0 };
  const byArena = plans.map((_, c) => c).sort((a, b) => plans[b].arena - plans[a].arena || a - b);
  let target = lb.bytes;
  let remaining = effort;
  const pending = (c: number): boolean => plans[c].arena > target && instances[c].lt.n > 1;
  for (let k = 0; k < byArena.length && remaining > 0; k++) {
    const c = byArena[k];
    if (!pending(c)) continue;
    const waiting = byArena.slice(k).filter(pending).reduce((s, x) => s + instances[x].lt.n, 0);
    const budget = Math.max(1, Math.floor((remaining * instances[c].lt.n) / waiting));
    const r = localSearch(instances[c], starts[c].perm, { target, budget, seed: seed + c, rule: starts[c].rule });
    remaining -= r.work;
    stats.searched++;
    stats.iterations += r.iterations;
    stats.accepted += r.accepted;
    stats.improvements += r.improvements;
    stats.work += r.work;
    if (r.arena < plans[c].arena) {
      plans[c] = { ...plans[c], off: r.off, arena: r.arena, searched: true };
    }
    target = Math.max(target, plans[c].arena);
  }

  // Assemble.
  const offsets = new Float64Array(ivs.length);
  let arena = 0;
  let top: ComponentPlan | undefined;
  for (const p of plans) {
    p.members.forEach((m, local) => { offsets[sized[m]] = p.off[local]; });
    if (!top || p.arena > top.arena) top = p;
    arena = Math.max(arena, p.arena);
  }
  stats.greedyBytes = plans.reduce((m, p) => Math.max(m, Math.min(...p.greedy.values())), 0);
  const strategy = top ? `${top.strategy}${plans.some((p) => p.searched) ? '+search' : ''}` : 'empty';
  return {
    arenaBytes: arena,
    lowerBoundBytes: lb.bytes,
    peakStep: lb.step,
    liveAtPeak: lb.live,
    buffers: ivs.map((iv, i) => ({ ...iv, offset: offsets[i] })),
    aliases: input.aliases,
    strategy,
    search: stats,
  };
}
