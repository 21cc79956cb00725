// Greedy starting orders and the local search over the placement order. Everything is
// driven by work counters and a seeded PRNG, never by the clock, so the same input always
// gives the same plan on any machine.
import { indices } from './intervals';
import { mulberry32 } from '../numeric';
import { FitRule, Instance, Placer } from './placer';

/** Deterministic PRNG (mulberry32). */
export const prng = mulberry32;

// ------------------------------------------------------------------ greedy orders

export interface GreedyOrder {
  name: string;
  rule: FitRule;
  order: (inst: Instance) => Int32Array;
}

function sortedIndices(n: number, cmp: (a: number, b: number) => number): Int32Array {
  return indices(n).sort((a, b) => cmp(a, b) || a - b);
}

const nameDesc = (inst: Instance, a: number, b: number): number => {
  const x = inst.names[a];
  const y = inst.names[b];
  return x > y ? -1 : x < y ? 1 : 0;
};

/**
 * The starting points. The first four are the orders of tinytrain's first planner (best
 * fit in each); then TFLite Micro's GreedyMemoryPlanner (size order, lowest gap), a stack
 * order (first use, longest first: exact when lifetimes nest), conflict-count order, and
 * TVM USMP's greedy_by_size and greedy_by_conflicts (each buffer on top of every
 * conflicting one placed before it; ties by conflicts or size, then name descending).
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
    name: 'tflm-greedy', rule: 'first',
    order: ({ lt }) => sortedIndices(lt.n, (a, b) => lt.size[b] - lt.size[a]),
  },
  {
    name: 'stack', rule: 'first',
    order: ({ lt }) => sortedIndices(lt.n, (a, b) => lt.first[a] - lt.first[b] || lt.last[b] - lt.last[a] || lt.size[b] - lt.size[a]),
  },
  {
    name: 'conflicts-desc', rule: 'best',
    order: ({ lt, deg }) => sortedIndices(lt.n, (a, b) => deg[b] - deg[a] || lt.size[b] - lt.size[a]),
  },
  {
    name: 'usmp-greedy-by-size', rule: 'top',
    order: (inst) => sortedIndices(inst.lt.n, (a, b) =>
      inst.lt.size[b] - inst.lt.size[a] || inst.deg[b] - inst.deg[a] || nameDesc(inst, a, b)),
  },
  {
    name: 'usmp-greedy-by-conflicts', rule: 'top',
    order: (inst) => sortedIndices(inst.lt.n, (a, b) =>
      inst.deg[b] - inst.deg[a] || inst.lt.size[b] - inst.lt.size[a] || nameDesc(inst, a, b)),
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
  /** Work units the search may spend. */
  budget: number;
  seed: number;
  rule: FitRule;
  /** Late-acceptance history length. */
  history?: number;
}

/**
 * Late-acceptance hill climbing over the placement order. A move takes a buffer that ends
 * above the target (half the time one at the very top) and changes its place in the order
 * relative to a conflicting buffer placed before it: move it just before that one (or
 * anywhere before it), swap the two, or push that one just after it. Only buffers whose
 * earlier conflicts changed are re-placed, in order, and a move is abandoned as soon as a
 * buffer rises above what could still be accepted. The cost is (arena, total bytes above the target), compared
 * lexicographically.
 */
export function localSearch(inst: Instance, startPerm: Int32Array, opts: SearchOptions): SearchResult {
  const placer = new Placer(inst);
  const { n, size, pos, off } = placer;
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
  const nb = new Int32Array(n);

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

  /** Move buffer h to position p (others shift); with `mark`, flag what must be re-placed. */
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
    // Buffers whose order relative to h flipped see a different set of earlier conflicts.
    markDirty(h);
    const a = Math.min(p, q);
    const b = Math.max(p, q);
    const k = placer.neighbours(h, nb);
    for (let t = 0; t < k; t++) { const j = nb[t]; if (pos[j] >= a && pos[j] <= b) markDirty(j); }
  };

  /** Re-place dirty buffers in order; false as soon as one ends above `limit`. */
  const replay = (limit: number): boolean => {
    let ok = true;
    let r = n;
    for (const j of marked) if (pos[j] < r) r = pos[j];
    marked.length = 0;
    const r0 = r;
    while (outstanding > 0 && r < n) {
      const i = perm[r];
      if (dirty[i]) {
        dirty[i] = 0;
        outstanding--;
        const o = placer.fit(i, rule);
        if (o !== off[i]) {
          changed.push(i);
          oldOff.push(off[i]);
          placer.setOffset(i, o);
          const k = placer.neighbours(i, nb);
          for (let t = 0; t < k; t++) {
            const j = nb[t];
            if (pos[j] > r && !dirty[j]) { dirty[j] = 1; outstanding++; }
          }
        }
        if (o + size[i] > limit) { ok = false; break; }
      }
      r++;
    }
    placer.work += r - r0;
    if (!ok) {
      for (; r < n && outstanding > 0; r++) if (dirty[perm[r]]) { dirty[perm[r]] = 0; outstanding--; }
    }
    return ok;
  };

  const undoOffsets = (): void => {
    for (let k = changed.length - 1; k >= 0; k--) placer.setOffset(changed[k], oldOff[k]);
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
  /** A random buffer conflicting with h and placed before it, or -1. */
  const earlierNeighbour = (h: number): number => {
    const k = placer.neighbours(h, nb);
    let c = 0;
    for (let t = 0; t < k; t++) if (pos[nb[t]] < pos[h]) nb[c++] = nb[t];
    return c ? nb[Math.floor(rand() * c)] : -1;
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
    let undoMoves: [number, number][];
    if (kind < 0.1) {
      const p = Math.floor(rand() * (pj + 1)); // h anywhere before j
      moveTo(h, p, true);
      undoMoves = [[h, ph]];
    } else if (kind < 0.5) {
      moveTo(h, pj, true);                     // h just before j
      undoMoves = [[h, ph]];
    } else if (kind < 0.75) {
      moveTo(h, pj, true);                     // swap h and j
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
      const notWorse = (a: number, s: number, ra: number, rs: number): boolean => a < ra || (a === ra && s <= rs);
      ok = notWorse(nA, nS, A, S) || notWorse(nA, nS, histA[v], histS[v]);
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
