// Placement engine of the arena planner, on one connected component of the conflict graph:
// greedy placements in a given order (best fit, first fit, or on top of every conflicting
// buffer) and a local search over the order that re-places only what a move disturbs.
// Everything is driven by integer work counters and a seeded PRNG, never by the clock, so
// the same input always gives the same plan.
import { Conflicts, Lifetimes } from './intervals';

/** How a buffer is placed among the buffers placed before it that are live at a common step. */
export type FitRule = 'best' | 'first' | 'top';

export interface Instance {
  lt: Lifetimes;
  g: Conflicts;
  names: string[];
}

/**
 * Places buffers in an order. pos[i] is buffer i's place in the order; fit(i) looks only
 * at neighbours with a smaller pos, so a prefix of the order keeps its offsets when the
 * rest changes. `work` counts neighbour visits (the budget unit of the search).
 */
export class Placer {
  readonly n: number;
  readonly size: Float64Array;
  readonly start: Int32Array;
  readonly adj: Int32Array;
  readonly pos: Int32Array;
  readonly off: Float64Array;
  work = 0;
  private readonly key: Float64Array;
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  private readonly scale: number;
  private readonly packed: boolean;

  constructor(inst: Instance) {
    this.n = inst.lt.n;
    this.size = inst.lt.size;
    this.start = inst.g.start;
    this.adj = inst.g.adj;
    this.pos = new Int32Array(this.n);
    this.off = new Float64Array(this.n);
    const d = Math.max(1, inst.g.maxDegree);
    this.key = new Float64Array(d);
    this.lo = new Float64Array(d);
    this.hi = new Float64Array(d);
    let scale = 1;
    while (scale <= d) scale *= 2;
    this.scale = scale;
    let total = 0;
    for (let i = 0; i < this.n; i++) total += this.size[i];
    // Sort (offset, slot) pairs packed into one double when that stays exact.
    this.packed = total * scale < 2 ** 52;
  }

  /** Offset of buffer i among its neighbours earlier in the order. */
  fit(i: number, rule: FitRule): number {
    const { start, adj, pos, off, size, lo, hi } = this;
    const p = pos[i];
    const s = size[i];
    let k = 0;
    let top = 0;
    const e1 = start[i + 1];
    for (let e = start[i]; e < e1; e++) {
      const j = adj[e];
      if (pos[j] >= p) continue;
      const l = off[j];
      const h = l + size[j];
      if (h > top) top = h;
      lo[k] = l;
      hi[k] = h;
      k++;
    }
    this.work += e1 - start[i] + 1;
    if (rule === 'top' || k === 0) return top;
    const order = this.sortSlots(k);
    let cursor = 0;
    let best = -1;
    let bestGap = Infinity;
    for (let r = 0; r < k; r++) {
      const q = order[r];
      const l = lo[q];
      const gap = l - cursor;
      if (gap >= s) {
        if (rule === 'first') return cursor;
        if (gap < bestGap) {
          bestGap = gap;
          best = cursor;
          if (gap === s) break;
        }
      }
      if (hi[q] > cursor) cursor = hi[q];
    }
    return best >= 0 ? best : cursor;
  }

  private slotOrder = new Int32Array(0);

  /** Slots 0..k-1 ordered by lo (then slot). */
  private sortSlots(k: number): Int32Array {
    if (this.slotOrder.length < k) this.slotOrder = new Int32Array(this.key.length);
    const out = this.slotOrder;
    const { lo, key, scale } = this;
    if (k < 12) {
      for (let a = 0; a < k; a++) {
        let b = a;
        const l = lo[a];
        while (b > 0 && lo[out[b - 1]] > l) { out[b] = out[b - 1]; b--; }
        out[b] = a;
      }
      this.work += k;
      return out;
    }
    this.work += k * 4;
    if (this.packed) {
      for (let a = 0; a < k; a++) key[a] = lo[a] * scale + a;
      const sorted = key.subarray(0, k).sort();
      for (let a = 0; a < k; a++) { const v = sorted[a]; out[a] = v - Math.floor(v / scale) * scale; }
      return out;
    }
    const idx = Array.from({ length: k }, (_, a) => a).sort((a, b) => lo[a] - lo[b] || a - b);
    for (let a = 0; a < k; a++) out[a] = idx[a];
    return out;
  }

  /** Place every buffer in `perm` order; returns the arena (highest end). */
  decode(perm: Int32Array, rule: FitRule): number {
    for (let r = 0; r < this.n; r++) this.pos[perm[r]] = r;
    let arena = 0;
    for (let r = 0; r < this.n; r++) {
      const i = perm[r];
      const o = this.fit(i, rule);
      this.off[i] = o;
      if (o + this.size[i] > arena) arena = o + this.size[i];
    }
    return arena;
  }
}

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ------------------------------------------------------------------ greedy orders

export interface GreedyOrder {
  name: string;
  rule: FitRule;
  order: (inst: Instance) => Int32Array;
}

function sortedIndices(n: number, cmp: (a: number, b: number) => number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => cmp(a, b) || a - b);
}

const degreeOf = (inst: Instance, i: number): number => inst.g.start[i + 1] - inst.g.start[i];
const nameDesc = (inst: Instance, a: number, b: number): number => {
  const x = inst.names[a];
  const y = inst.names[b];
  return x > y ? -1 : x < y ? 1 : 0;
};

/**
 * The starting points. The first four are the orders tinytrain's first planner tried
 * (best fit in each), then a stack order (exact when lifetimes nest), TFLite Micro's
 * GreedyMemoryPlanner (size order, first gap), and TVM USMP's greedy_by_size and
 * greedy_by_conflicts (each buffer on top of every conflicting one placed before it).
 */
export const GREEDY_ORDERS: GreedyOrder[] = [
  {
    name: 'size-desc', rule: 'best',
    order: ({ lt }) => sortedIndices(lt.n, (a, b) => lt.size[b] - lt.size[a] || lt.first[a] - lt.first[b]),
  },
  {
    name: 'area-desc', rule: 'best',
    order: ({ lt }) => sortedIndices(lt.n, (a, b) =>
      lt.size[b] * (lt.last[b] - lt.first[b] + 1) - lt.size[a] * (lt.last[a] - lt.first[a] + 1) || lt.size[b] - lt.size[a]),
  },
  {
    name: 'lifetime-desc', rule: 'best',
    order: ({ lt }) => sortedIndices(lt.n, (a, b) => (lt.last[b] - lt.first[b]) - (lt.last[a] - lt.first[a]) || lt.size[b] - lt.size[a]),
  },
  {
    name: 'first-asc', rule: 'best',
    order: ({ lt }) => sortedIndices(lt.n, (a, b) => lt.first[a] - lt.first[b] || lt.size[b] - lt.size[a]),
  },
  {
    name: 'stack', rule: 'first',
    order: ({ lt }) => sortedIndices(lt.n, (a, b) => lt.first[a] - lt.first[b] || lt.last[b] - lt.last[a] || lt.size[b] - lt.size[a]),
  },
  {
    name: 'conflicts-desc', rule: 'best',
    order: (inst) => sortedIndices(inst.lt.n, (a, b) => degreeOf(inst, b) - degreeOf(inst, a) || inst.lt.size[b] - inst.lt.size[a]),
  },
  {
    name: 'tflm-greedy', rule: 'first',
    order: ({ lt }) => sortedIndices(lt.n, (a, b) => lt.size[b] - lt.size[a]),
  },
  {
    name: 'usmp-greedy-by-size', rule: 'top',
    order: (inst) => sortedIndices(inst.lt.n, (a, b) =>
      inst.lt.size[b] - inst.lt.size[a] || degreeOf(inst, b) - degreeOf(inst, a) || nameDesc(inst, a, b)),
  },
  {
    name: 'usmp-greedy-by-conflicts', rule: 'top',
    order: (inst) => sortedIndices(inst.lt.n, (a, b) =>
      degreeOf(inst, b) - degreeOf(inst, a) || inst.lt.size[b] - inst.lt.size[a] || nameDesc(inst, a, b)),
  },
];

// ------------------------------------------------------------------ local search

export interface SearchResult {
  arena: number;
  off: Float64Array;
  perm: Int32Array;
  iterations: number;
  accepted: number;
  improvements: number;
  work: number;
}

export interface SearchOptions {
  /** Stop as soon as the arena is at most this. */
  target: number;
  /** Work units (neighbour visits) the search may spend. */
  budget: number;
  seed: number;
  rule: FitRule;
  /** Late-acceptance history length. */
  history?: number;
}

/**
 * Late-acceptance hill climbing over the placement order. A move takes a buffer that ends
 * above the target (preferably one at the top of the arena) and changes its place in the
 * order relative to a conflicting buffer placed before it: move it just before that one,
 * swap the two, or push that one after it. Only buffers whose earlier neighbours changed
 * are re-placed, in order, and a move is abandoned as soon as a buffer rises above what
 * could still be accepted. The cost is (arena, total bytes above the target), compared
 * lexicographically.
 */
export function localSearch(inst: Instance, startPerm: Int32Array, opts: SearchOptions): SearchResult {
  const placer = new Placer(inst);
  const { n, size, start, adj, pos, off } = placer;
  const rule = opts.rule;
  const T = opts.target;
  const rand = prng(opts.seed);
  const perm = startPerm.slice();
  let A = placer.decode(perm, rule);
  const excessOf = (): number => {
    let s = 0;
    for (let i = 0; i < n; i++) { const e = off[i] + size[i] - T; if (e > 0) s += e; }
    return s;
  };
  let S = excessOf();
  let best: SearchResult = { arena: A, off: off.slice(), perm: perm.slice(), iterations: 0, accepted: 0, improvements: 0, work: 0 };
  if (A <= T || n < 2) return { ...best, work: placer.work };

  const L = opts.history ?? 32;
  const histA = new Float64Array(L).fill(A);
  const histS = new Float64Array(L).fill(S);

  const dirty = new Uint8Array(n);
  let outstanding = 0;
  const marked: number[] = [];
  const markDirty = (j: number): void => {
    if (dirty[j]) return;
    dirty[j] = 1;
    outstanding++;
    marked.push(j);
  };
  const changed: number[] = [];
  const oldOff: number[] = [];

  /** Move buffer h to position p (others shift); marks what must be re-placed when `mark`. */
  const moveTo = (h: number, p: number, mark: boolean): void => {
    const q = pos[h];
    if (p < q) {
      for (let r = q; r > p; r--) { const x = perm[r - 1]; perm[r] = x; pos[x] = r; }
    } else {
      for (let r = q; r < p; r++) { const x = perm[r + 1]; perm[r] = x; pos[x] = r; }
    }
    perm[p] = h;
    pos[h] = p;
    placer.work += Math.abs(p - q) + 1;
    if (!mark) return;
    markDirty(h);
    const a = Math.min(p, q);
    const b = Math.max(p, q);
    for (let e = start[h]; e < start[h + 1]; e++) {
      const j = adj[e];
      if (pos[j] >= a && pos[j] <= b) markDirty(j);
    }
    placer.work += start[h + 1] - start[h];
  };

  /** Re-place dirty buffers in order; false as soon as one ends above `limit`. */
  const replay = (limit: number): boolean => {
    let ok = true;
    let minDirty = n;
    for (const j of marked) if (pos[j] < minDirty) minDirty = pos[j];
    marked.length = 0;
    let r = minDirty;
    while (outstanding > 0 && r < n) {
      const i = perm[r];
      if (dirty[i]) {
        dirty[i] = 0;
        outstanding--;
        const o = placer.fit(i, rule);
        if (o !== off[i]) {
          changed.push(i);
          oldOff.push(off[i]);
          off[i] = o;
          for (let e = start[i]; e < start[i + 1]; e++) {
            const j = adj[e];
            if (pos[j] > r && !dirty[j]) { dirty[j] = 1; outstanding++; }
          }
        }
        if (o + size[i] > limit) { ok = false; break; }
      }
      r++;
    }
    placer.work += r - minDirty;
    if (!ok) {
      for (; r < n && outstanding > 0; r++) if (dirty[perm[r]]) { dirty[perm[r]] = 0; outstanding--; }
    }
    return ok;
  };

  const undoOffsets = (): void => {
    for (let k = changed.length - 1; k >= 0; k--) off[changed[k]] = oldOff[k];
  };

  // Buffers ending above the target, and those at the very top.
  let high: number[] = [];
  let topBufs: number[] = [];
  const collect = (): void => {
    high = [];
    topBufs = [];
    for (let r = 0; r < n; r++) {
      const i = perm[r];
      const e = off[i] + size[i];
      if (e > T) high.push(i);
      if (e === A) topBufs.push(i);
    }
    placer.work += n;
  };
  collect();

  const pick = <X>(xs: X[]): X => xs[Math.floor(rand() * xs.length)];
  /** A random neighbour of h placed before it, or -1. */
  const earlierNeighbour = (h: number): number => {
    const d = start[h + 1] - start[h];
    if (d === 0) return -1;
    // A few random probes, then a scan.
    for (let t = 0; t < 4; t++) {
      const j = adj[start[h] + Math.floor(rand() * d)];
      if (pos[j] < pos[h]) return j;
    }
    const cand: number[] = [];
    for (let e = start[h]; e < start[h + 1]; e++) if (pos[adj[e]] < pos[h]) cand.push(adj[e]);
    placer.work += d;
    return cand.length ? pick(cand) : -1;
  };

  let iterations = 0;
  let accepted = 0;
  let improvements = 0;
  while (placer.work < opts.budget) {
    iterations++;
    const h = rand() < 0.5 && topBufs.length ? pick(topBufs) : pick(high);
    const j = earlierNeighbour(h);
    if (j < 0) continue;
    const kind = rand();
    const ph = pos[h];
    const pj = pos[j];
    changed.length = 0;
    oldOff.length = 0;
    // Apply the move and remember how to revert it.
    let undoMoves: [number, number][];
    if (kind < 0.5) {
      moveTo(h, pj, true);                     // h just before j
      undoMoves = [[h, ph]];
    } else if (kind < 0.75) {
      moveTo(h, pj, true);                     // swap: h to j's place, j to h's
      moveTo(j, ph, true);
      undoMoves = [[j, pj + 1], [h, ph]];
    } else {
      moveTo(j, ph, true);                     // j just after h
      undoMoves = [[j, pj]];
    }
    const v = iterations % L;
    const limit = Math.max(A, histA[v]);
    let ok = replay(limit);
    let nA = 0;
    let nS = 0;
    if (ok) {
      for (let i = 0; i < n; i++) if (off[i] + size[i] > nA) nA = off[i] + size[i];
      nS = excessOf();
      placer.work += 2 * n;
      const better = (a: number, s: number, ra: number, rs: number): boolean => a < ra || (a === ra && s <= rs);
      ok = better(nA, nS, A, S) || better(nA, nS, histA[v], histS[v]);
    }
    if (!ok) {
      undoOffsets();
      for (const [x, p] of undoMoves) moveTo(x, p, false);
    } else {
      accepted++;
      A = nA;
      S = nS;
      collect();
      if (A < best.arena) {
        improvements++;
        best = { ...best, arena: A, off: off.slice(), perm: perm.slice() };
        if (A <= T) break;
      }
    }
    histA[v] = A;
    histS[v] = S;
  }
  return { ...best, iterations, accepted, improvements, work: placer.work };
}
