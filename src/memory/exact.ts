// Exact placement for a given arena size, by depth-first search over canonical solutions
// (the approach of Moffitt's MiniMalloc, ASPLOS 2023, written for this planner).
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
import { Lifetimes, Sections } from './intervals';
import { Placer } from './placer';

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
 * could take the same offset (lower first). `placer` supplies the conflicts.
 */
export function exactPlace(lt: Lifetimes, sec: Sections, placer: Placer, rank: Int32Array, capacity: number, nodeLimit: number): ExactResult & { work: number } {
  const { n, size } = lt;
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
  let work = 0;
  const work0 = placer.work;
  if (tree.max > capacity) return { status: 'infeasible', nodes: 0, work };

  const nb = new Int32Array(n);
  // Per depth: candidate range in the pool, next candidate, buffer placed, undo-log mark, previous (offset, rank).
  const candStart = new Int32Array(n + 1);
  const candEnd = new Int32Array(n + 1);
  const next = new Int32Array(n + 1);
  const chosen = new Int32Array(n + 1);
  const logMark = new Int32Array(n + 1);
  const prevO = new Float64Array(n + 1);
  const prevR = new Int32Array(n + 1);
  let pool = new Int32Array(4 * n + 16);
  let poolLen = 0;
  let logIdx = new Int32Array(4 * n + 16);
  let logVal = new Float64Array(4 * n + 16);
  let logLen = 0;

  let lastO = 0;
  let lastR = -1;
  let placed = 0;
  let nodes = 0;
  let depth = 0;

  const expand = (): void => {
    // Candidates: unplaced buffers at or after (lastO, lastR) in canonical order, below the
    // dominance height, and whose offset leaves room for the fullest section.
    let minHeight = Infinity;
    for (let i = 0; i < n; i++) if (off[i] < 0 && minOff[i] + size[i] < minHeight) minHeight = minOff[i] + size[i];
    const room = capacity - tree.max;
    const s0 = poolLen;
    for (let i = 0; i < n; i++) {
      if (off[i] >= 0) continue;
      const o = minOff[i];
      if (o < lastO || (o === lastO && rank[i] < lastR) || o >= minHeight || o > room) continue;
      if (poolLen === pool.length) { const p = new Int32Array(pool.length * 2); p.set(pool); pool = p; }
      pool[poolLen++] = i;
    }
    work += 2 * n;
    const c = pool.subarray(s0, poolLen);
    if (c.length > 1) {
      const sorted = Array.from(c).sort((a, b) => minOff[a] - minOff[b] || rank[a] - rank[b]);
      c.set(sorted);
      work += c.length * 4;
    }
    candStart[depth] = s0;
    candEnd[depth] = poolLen;
    next[depth] = s0;
  };

  expand();
  for (;;) {
    if (next[depth] < candEnd[depth]) {
      if (nodes >= nodeLimit) return { status: 'limit', nodes, work: work + placer.work - work0 };
      nodes++;
      const b = pool[next[depth]++];
      const o = minOff[b];
      const top = o + size[b];
      off[b] = o;
      chosen[depth] = b;
      logMark[depth] = logLen;
      prevO[depth] = lastO;
      prevR[depth] = lastR;
      lastO = o;
      lastR = rank[b];
      const k = placer.neighbours(b, nb);
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
      placed++;
      if (placed === n) {
        return { status: 'found', off, nodes, work: work + placer.work - work0 };
      }
      depth++;
      expand();
    } else {
      poolLen = candStart[depth];
      depth--;
      if (depth < 0) return { status: 'infeasible', nodes, work: work + placer.work - work0 };
      const b = chosen[depth];
      tree.add(sec.lo[b], sec.hi[b], size[b]);
      while (logLen > logMark[depth]) { logLen--; minOff[logIdx[logLen]] = logVal[logLen]; }
      off[b] = -1;
      placed--;
      lastO = prevO[depth];
      lastR = prevR[depth];
    }
  }
}
