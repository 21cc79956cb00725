// The search on one connected component that the greedy orders left above the target:
//  1. exact placement at the target (one round of the exact search's orders);
//  2. local search over the best greedy order;
//  3. exact placement at the target with growing node limits;
//  4. exact placement at sizes between the target and the best found (bisection).
// Each stage stops as soon as the target is reached; all share one work budget.
import { exactPlace } from './exact';
import { indices, Sections, sections } from './intervals';
import { FitRule, Instance } from './placer';
import { localSearch } from './search';

export interface ComponentResult {
  arena: number;
  off: Float64Array;
  /** Which stage gave the result: '' (the greedy order), 'exact', 'search' or 'bisect'. */
  how: '' | 'exact' | 'search' | 'bisect';
  work: number;
  exactInfeasible: boolean;
  iterations: number;
  accepted: number;
  improvements: number;
}

/**
 * Preference ranks for the exact search, tried in turn: sections spanned then first use,
 * first use then sections, section total then sections then first use, and MiniMalloc's
 * three orders of width, area and section total. Ties by first use matter on training
 * schedules: a tiled prefix keeps the input and the stitched output live across all tiles,
 * and only time order puts them under the tiles' scratch buffers.
 */
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
    const k = 31 - Math.clz32(b - a);
    return Math.max(table[k][a], table[k][b - (1 << k)]);
  };
  const T = Float64Array.from({ length: n }, (_, i) => rangeMax(sec.lo[i], sec.hi[i]));
  const W = Float64Array.from({ length: n }, (_, i) => sec.hi[i] - sec.lo[i]);
  const A = Float64Array.from({ length: n }, (_, i) => lt.size[i] * (lt.last[i] - lt.first[i] + 1));
  const F = Float64Array.from({ length: n }, (_, i) => -lt.first[i]);
  const rankOf = (keys: Float64Array[]): Int32Array => {
    const order = indices(n).sort((a, b) => {
      for (const k of keys) if (k[a] !== k[b]) return k[b] - k[a];
      return a - b;
    });
    const rank = new Int32Array(n);
    order.forEach((i, r) => { rank[i] = r; });
    return rank;
  };
  return [rankOf([W, F]), rankOf([W, A, T]), rankOf([F, W]), rankOf([T, A, W]), rankOf([T, W, F]), rankOf([T, W, A])];
}

/** The exact search with MiniMalloc's round robin over orders and node limits that double. */
class ExactRunner {
  private readonly sec: Sections;
  private readonly ranks: Int32Array[];
  /** Estimated work per node, to turn a budget into a node limit. */
  readonly perNode: number;

  constructor(private readonly inst: Instance) {
    this.sec = sections(inst.lt);
    this.ranks = exactRanks(inst, this.sec);
    let deg = 0;
    for (let i = 0; i < inst.lt.n; i++) deg += inst.deg[i];
    this.perNode = inst.lt.n * (inst.g ? 0.5 : 1) + deg / Math.max(1, inst.lt.n) + 30;
  }

  /**
   * Try `capacity` with node limits from `fromLimit` up to `toLimit` (doubling), every
   * order in turn, within `budget`.
   */
  run(capacity: number, fromLimit: number, toLimit: number, budget: number): { off?: Float64Array; work: number; proven: boolean } {
    const n = this.inst.lt.n;
    let work = 0;
    for (let limit = fromLimit; limit <= toLimit; limit *= 2) {
      for (const rank of this.ranks) {
        const nodeLimit = Math.min(limit, Math.floor((budget - work) / this.perNode));
        if (nodeLimit < n) return { work, proven: false };
        const r = exactPlace(this.inst.lt, this.sec, this.inst.g, rank, capacity, nodeLimit);
        work += r.work;
        if (r.status === 'found') return { off: r.off, work, proven: false };
        if (r.status === 'infeasible') return { work, proven: true };
      }
    }
    return { work, proven: false };
  }
}

function arenaOf(off: Float64Array, size: Float64Array): number {
  let a = 0;
  for (let i = 0; i < off.length; i++) a = Math.max(a, off[i] + size[i]);
  return a;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * `greedy` is the best greedy placement and its order; `decodeWork` the work of one greedy
 * placement (to tell whether a local search can afford enough moves).
 */
export function searchComponent(
  inst: Instance, greedy: { arena: number; off: Float64Array; perm: Int32Array; rule: FitRule },
  decodeWork: number, target: number, budget: number, seed: number,
): ComponentResult {
  const n = inst.lt.n;
  const size = inst.lt.size;
  const res: ComponentResult = {
    arena: greedy.arena, off: greedy.off, how: '', work: 0, exactInfeasible: false, iterations: 0, accepted: 0, improvements: 0,
  };
  const left = (): number => budget - res.work;
  const exact = new ExactRunner(inst);
  const take = (off: Float64Array, how: ComponentResult['how']): void => {
    const a = arenaOf(off, size);
    if (a < res.arena) { res.arena = a; res.off = off; res.how = how; }
  };

  const dive = Math.ceil(1.25 * n);
  // 1. One round of exact search at the target.
  let r = exact.run(target, dive, dive, 0.35 * budget);
  res.work += r.work;
  if (r.off) { take(r.off, 'exact'); return res; }
  res.exactInfeasible = r.proven;

  // 2. Local search over the placement order, when the budget buys enough moves (a move
  //    re-places up to all buffers after the one moved).
  const lsBudget = 0.3 * budget;
  if (lsBudget >= 50 * decodeWork) {
    const ls = localSearch(inst, greedy.perm, { target, budget: lsBudget, seed, rule: greedy.rule });
    res.work += ls.work;
    res.iterations = ls.iterations;
    res.accepted = ls.accepted;
    res.improvements = ls.improvements;
    if (ls.arena < res.arena) take(ls.off, 'search');
    if (res.arena <= target) return res;
  }

  // 3. Exact search at the target, deeper, when the budget buys many dives; large components
  //    go straight to the bisection, where slack makes dives succeed.
  if (!r.proven && budget >= 40 * n * exact.perNode) {
    r = exact.run(target, 2 * dive, Infinity, 0.65 * budget - res.work);
    res.work += r.work;
    if (r.off) { take(r.off, 'exact'); return res; }
    res.exactInfeasible = r.proven;
  }

  // 4. Bisection on the arena size between the target and the best found.
  let align = 0;
  for (let i = 0; i < n; i++) align = gcd(align, size[i]);
  let lo = target;
  while (res.arena - lo > align && left() > 0) {
    const cap = lo + Math.max(1, Math.floor((res.arena - lo) / (2 * align))) * align;
    r = exact.run(cap, dive, dive, left());
    res.work += r.work;
    if (r.off) take(r.off, 'bisect');
    else if (r.work === 0) break;
    else lo = cap;
  }
  return res;
}
