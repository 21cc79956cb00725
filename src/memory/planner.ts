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
import { byFirst, components, indices, Lifetimes, peakLoad, Sections, sections } from './intervals';
import { exactPlace } from './exact';
import { FitRule, Instance, makeInstance, Placer } from './placer';
import { GREEDY_ORDERS, localSearch } from './search';
import { Plan, PlanInput, PlanSearchStats } from './types';

export interface PlanOptions {
  /**
   * Work budget of the searches (exact and local), in elementary steps (a few ns each).
   * The default keeps a few thousand buffers well under a second; 0 keeps the best greedy
   * placement.
   */
  effort?: number;
  /** Seed of the local search. */
  seed?: number;
}

export const DEFAULT_EFFORT = 30_000_000;
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
  greedy: number;              // best greedy arena
  how: '' | '+exact' | '+search';
}

function subLifetimes(lt: Lifetimes, members: Int32Array): Lifetimes {
  return {
    n: members.length,
    size: Float64Array.from(members, (i) => lt.size[i]),
    first: Float64Array.from(members, (i) => lt.first[i]),
    last: Float64Array.from(members, (i) => lt.last[i]),
  };
}

/** Preference ranks for the exact search (MiniMalloc's orders): width, area, section total. */
function exactRanks(inst: Instance, sec: Sections): Int32Array[] {
  const { lt } = inst;
  const n = lt.n;
  // Largest total over each buffer's sections (sparse table for range maximum).
  const totals = new Float64Array(sec.count);
  const diff = new Float64Array(sec.count + 1);
  for (let i = 0; i < n; i++) { diff[sec.lo[i]] += lt.size[i]; diff[sec.hi[i]] -= lt.size[i]; }
  let run = 0;
  for (let s = 0; s < sec.count; s++) { run += diff[s]; totals[s] = run; }
  const table: Float64Array[] = [totals];
  for (let w = 1; 2 * w <= sec.count; w *= 2) {
    const prev = table[table.length - 1];
    const cur = new Float64Array(sec.count - 2 * w + 1);
    for (let s = 0; s < cur.length; s++) cur[s] = Math.max(prev[s], prev[s + w]);
    table.push(cur);
  }
  const rangeMax = (a: number, b: number): number => {
    const k = Math.floor(Math.log2(b - a));
    return Math.max(table[k][a], table[k][b - (1 << k)]);
  };
  const T = Float64Array.from({ length: n }, (_, i) => rangeMax(sec.lo[i], sec.hi[i]));
  const W = Float64Array.from({ length: n }, (_, i) => sec.hi[i] - sec.lo[i]);
  const A = Float64Array.from({ length: n }, (_, i) => lt.size[i] * (lt.last[i] - lt.first[i] + 1));
  const rankOf = (keys: Float64Array[]): Int32Array => {
    const order = indices(n).sort((a, b) => {
      for (const k of keys) if (k[a] !== k[b]) return k[b] - k[a];
      return a - b;
    });
    const rank = new Int32Array(n);
    order.forEach((i, r) => { rank[i] = r; });
    return rank;
  };
  return [rankOf([W, A, T]), rankOf([T, A, W]), rankOf([T, W, A])];
}

/**
 * Exact search for an arena of `capacity`: MiniMalloc's round robin over preference orders
 * with a node limit that doubles each round, within `budget` work units.
 */
function exactWithin(inst: Instance, placer: Placer, capacity: number, budget: number): { off?: Float64Array; work: number; proven: boolean } {
  const n = inst.lt.n;
  const sec = sections(inst.lt);
  const ranks = exactRanks(inst, sec);
  const perNode = 3 * n + 40;
  let work = n * 8;
  let limit = n;
  for (;;) {
    limit *= 2;
    for (const rank of ranks) {
      const nodeLimit = Math.min(limit, Math.floor((budget - work) / perNode));
      if (nodeLimit < n) return { work, proven: false };
      const r = exactPlace(inst.lt, sec, placer, rank, capacity, nodeLimit);
      work += r.work;
      if (r.status === 'found') return { off: r.off, work, proven: false };
      if (r.status === 'infeasible') return { work, proven: true };
    }
  }
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
  const placers: Placer[] = [];
  const starts: { perm: Int32Array; rule: FitRule }[] = [];
  for (const members of comps) {
    const inst = makeInstance(subLifetimes(lt, members), Array.from(members, (i) => ivs[sized[i]].name));
    const placer = new Placer(inst);
    let best: { name: string; arena: number; off: Float64Array; perm: Int32Array; rule: FitRule } | undefined;
    for (const o of GREEDY_ORDERS) {
      const perm = o.order(inst);
      const arena = placer.decode(perm, o.rule);
      if (!best || arena < best.arena) best = { name: o.name, arena, off: placer.off.slice(), perm, rule: o.rule };
      if (best.arena <= lb.bytes) break;
    }
    const b = best!;
    plans.push({ members, off: b.off, arena: b.arena, strategy: b.name, greedy: b.arena, how: '' });
    instances.push(inst);
    placers.push(placer);
    starts.push({ perm: b.perm, rule: b.rule });
  }

  // Searches on the components above the target, highest first. A component that cannot
  // reach the lower bound raises the target for the others (they need not go lower).
  const stats: PlanSearchStats = {
    components: plans.length, greedyBytes: plans.reduce((m, p) => Math.max(m, p.greedy), 0),
    searched: 0, exactFound: 0, exactInfeasible: 0, iterations: 0, accepted: 0, improvements: 0, work: 0,
  };
  const byArena = plans.map((_, c) => c).sort((a, b) => plans[b].arena - plans[a].arena || a - b);
  let target = lb.bytes;
  let remaining = effort;
  const pending = (c: number): boolean => plans[c].arena > target && instances[c].lt.n > 1;
  for (let k = 0; k < byArena.length && remaining > 0; k++) {
    const c = byArena[k];
    if (!pending(c)) continue;
    const waiting = byArena.slice(k).filter(pending).reduce((s, x) => s + instances[x].lt.n, 0);
    const budget = Math.max(1, Math.floor((remaining * instances[c].lt.n) / waiting));
    stats.searched++;
    // 1. Exact placement at the target, with part of the budget.
    const ex = exactWithin(instances[c], placers[c], target, Math.floor(budget * 0.4));
    let spent = ex.work;
    if (ex.off) {
      stats.exactFound++;
      plans[c] = { ...plans[c], off: ex.off, arena: target, how: '+exact' };
    } else {
      if (ex.proven) stats.exactInfeasible++;
      // 2. Local search over the order with the rest.
      const r = localSearch(instances[c], starts[c].perm, { target, budget: Math.max(1, budget - spent), seed: seed + c, rule: starts[c].rule });
      spent += r.work;
      stats.iterations += r.iterations;
      stats.accepted += r.accepted;
      stats.improvements += r.improvements;
      if (r.arena < plans[c].arena) plans[c] = { ...plans[c], off: r.off, arena: r.arena, how: '+search' };
    }
    remaining -= spent;
    stats.work += spent;
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
  return {
    arenaBytes: arena,
    lowerBoundBytes: lb.bytes,
    peakStep: lb.step,
    liveAtPeak: lb.live,
    buffers: ivs.map((iv, i) => ({ ...iv, offset: offsets[i] })),
    aliases: input.aliases,
    strategy: top ? `${top.strategy}${top.how}` : 'empty',
    search: stats,
  };
}
