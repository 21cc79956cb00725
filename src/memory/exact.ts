// Exact placement for a given arena size, by depth-first search over canonical solutions
// (the approach of Moffitt's MiniMalloc, ASPLOS '23, written anew for this planner).
//
// Any placement can be pushed down until every buffer rests on offset 0 or on a
// conflicting buffer. Listed by offset, each buffer then sits exactly on top of the
// conflicting buffers listed before it. So the search places buffers in non-decreasing
// offset order (ties by a fixed preference rank), each at the top of its placed conflicts,
// and prunes with:
//  - dominance: a buffer is not placed at or above a height some unplaced buffer could
//    still end below (that one would have to sit on air);
//  - section load: the unplaced buffers live in one section are stacked above both the
//    current offset and the section's floor, so offset + the largest unplaced total of a
//    section must fit in the arena.
// Exhausting the tree proves the arena size infeasible; a node limit bounds the effort.
import { Conflicts, indices, Lifetimes, Sections } from './intervals';

export type ExactStatus = 'found' | 'infeasible' | 'limit';

export interface ExactResult { status: ExactStatus; off?: Float64Array; nodes: number }

/** Range add and global max over sections (the unplaced bytes live in each). */
class MaxTree {
  private readonly mx: Float64Array;
  private readonly lz: Float64Array;
  private readonly m: number;
  constructor(values: Float64Array) {
    this.m = Math.max(1, values.length);
    this.mx = new Float64Array(4 * this.m);
    this.lz = new Float64Array(4 * this.m);
    this.build(1, 0, this.m, values);
  }
  private build(node: number, a: number, b: number, v: Float64Array): void {
    if (b - a === 1) { this.mx[node] = a < v.length ? v[a] : 0; return; }
    const mid = (a + b) >> 1;
    this.build(2 * node, a, mid, v);
    this.build(2 * node + 1, mid, b, v);
    this.mx[node] = Math.max(this.mx[2 * node], this.mx[2 * node + 1]);
  }
  add(lo: number, hi: number, v: number): void { if (lo < hi) this.rec(1, 0, this.m, lo, hi, v); }
  private rec(node: number, a: number, b: number, lo: number, hi: number, v: number): void {
    if (hi <= a || b <= lo) return;
    if (lo <= a && b <= hi) { this.mx[node] += v; this.lz[node] += v; return; }
    const mid = (a + b) >> 1;
    this.rec(2 * node, a, mid, lo, hi, v);
    this.rec(2 * node + 1, mid, b, lo, hi, v);
    this.mx[node] = Math.max(this.mx[2 * node], this.mx[2 * node + 1]) + this.lz[node];
  }
  get max(): number { return this.mx[1]; }
}

/**
 * Search for offsets with every buffer inside [0, capacity). `rank` orders buffers that
 * could take the same offset (lower first). Conflicts come from `g` when the instance has
 * conflict lists, otherwise from a time test over the unplaced buffers.
 *
 * Candidates are not sorted: each node scans the unplaced buffers once for the smallest
 * (offset, rank) after the one it tried last, so a dive costs O(n) per level and going
 * back to a node costs one more scan.
 */
export function exactPlace(lt: Lifetimes, sec: Sections, g: Conflicts | undefined, rank: Int32Array, capacity: number, nodeLimit: number): ExactResult & { work: number } {
  const { n, size, first, last } = lt;
  const off = new Float64Array(n).fill(-1);
  const minOff = new Float64Array(n);
  const totals = new Float64Array(sec.count);
  {
    const diff = new Float64Array(sec.count + 1);
    for (let i = 0; i < n; i++) { diff[sec.lo[i]] += size[i]; diff[sec.hi[i]] -= size[i]; }
    let run = 0;
    for (let s = 0; s < sec.count; s++) { run += diff[s]; totals[s] = run; }
  }
  const tree = new MaxTree(totals);
  let work = 2 * n;
  if (tree.max > capacity) return { status: 'infeasible', nodes: 0, work };

  // Unplaced buffers, in any order (selection depends only on keys).
  const open = indices(n);
  const where = indices(n);
  let nOpen = n;
  const take = (i: number): void => {
    const k = where[i];
    const last = open[--nOpen];
    open[k] = last;
    where[last] = k;
    open[nOpen] = i;
    where[i] = nOpen;
  };
  const giveBack = (i: number): void => {
    // Undone in reverse order, i is back at open[nOpen]; swap it there in any case.
    const k = where[i];
    const other = open[nOpen];
    open[k] = other;
    where[other] = k;
    open[nOpen] = i;
    where[i] = nOpen;
    nOpen++;
  };

  // Per depth: buffer placed, undo-log mark, previous canonical (offset, rank), room.
  const chosen = new Int32Array(n + 1);
  const logMark = new Int32Array(n + 1);
  const prevO = new Float64Array(n + 1);
  const prevR = new Int32Array(n + 1);
  let logIdx = new Int32Array(4 * n + 16);
  let logVal = new Float64Array(4 * n + 16);
  let logLen = 0;

  let lastO = 0;
  let lastR = -1;
  let nodes = 0;
  let depth = 0;

  /** Smallest canonical candidate after (afterO, afterR), or -1 when the node is exhausted. */
  const select = (afterO: number, afterR: number): number => {
    let minHeight = Infinity;
    let best = -1;
    let bo = Infinity;
    let br = 0;
    for (let k = 0; k < nOpen; k++) {
      const i = open[k];
      const o = minOff[i];
      const h = o + size[i];
      if (h < minHeight) minHeight = h;
      const r = rank[i];
      if (o < lastO || (o === lastO && r < lastR)) continue;
      if (o < afterO || (o === afterO && r <= afterR)) continue;
      if (o < bo || (o === bo && r < br)) { best = i; bo = o; br = r; }
    }
    work += nOpen + 4;
    if (best < 0 || bo >= minHeight || bo > capacity - tree.max) return -1;
    return best;
  };

  const nb = new Int32Array(n);
  let cand = select(-1, -1);
  for (;;) {
    if (cand >= 0) {
      if (nodes >= nodeLimit) return { status: 'limit', nodes, work };
      nodes++;
      const b = cand;
      const o = minOff[b];
      const top = o + size[b];
      off[b] = o;
      take(b);
      chosen[depth] = b;
      logMark[depth] = logLen;
      prevO[depth] = lastO;
      prevR[depth] = lastR;
      lastO = o;
      lastR = rank[b];
      // Raise the unplaced conflicting buffers to b's top.
      let k = 0;
      if (g) {
        for (let e = g.start[b]; e < g.start[b + 1]; e++) nb[k++] = g.adj[e];
        work += k;
      } else {
        const f = first[b];
        const l = last[b];
        for (let t = 0; t < nOpen; t++) { const j = open[t]; if (first[j] <= l && last[j] >= f) nb[k++] = j; }
        work += nOpen;
      }
      for (let t = 0; t < k; t++) {
        const j = nb[t];
        if (off[j] >= 0 || minOff[j] >= top) continue;
        if (logLen === logIdx.length) {
          const a = new Int32Array(logLen * 2); a.set(logIdx); logIdx = a;
          const v = new Float64Array(logLen * 2); v.set(logVal); logVal = v;
        }
        logIdx[logLen] = j;
        logVal[logLen++] = minOff[j];
        minOff[j] = top;
      }
      tree.add(sec.lo[b], sec.hi[b], -size[b]);
      work += 20;
      if (nOpen === 0) return { status: 'found', off, nodes, work };
      depth++;
      cand = select(-1, -1);
    } else {
      depth--;
      if (depth < 0) return { status: 'infeasible', nodes, work };
      const b = chosen[depth];
      tree.add(sec.lo[b], sec.hi[b], size[b]);
      while (logLen > logMark[depth]) { logLen--; minOff[logIdx[logLen]] = logVal[logLen]; }
      off[b] = -1;
      giveBack(b);
      lastO = prevO[depth];
      lastR = prevR[depth];
      cand = select(minOff[b], rank[b]);
    }
  }
}
