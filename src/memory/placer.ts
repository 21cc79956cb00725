// Greedy placement of buffers in a given order, the building block of every planner stage.
// A buffer is placed among the buffers before it in the order that are live at a common
// step: in the smallest gap that holds it (best fit), the lowest one (first fit), or on top
// of all of them (top, as TVM USMP's greedy planners).
//
// Two ways to find those buffers, chosen per instance by estimated cost; both give the same
// offsets. Sparse conflicts: conflict lists, sorted by offset per placement. Dense
// conflicts (full training keeps hundreds of activations live across the backward pass):
// one list of all placed buffers kept sorted by offset, scanned with a time test, so no
// sort is needed.
import { Conflicts, conflictGraph, degrees, Lifetimes } from './intervals';

export type FitRule = 'best' | 'first' | 'top';

export interface Instance {
  lt: Lifetimes;
  /** Conflicts per buffer. */
  deg: Int32Array;
  /** Conflict lists, when cheaper than scanning. */
  g?: Conflicts;
  names: string[];
}

export function makeInstance(lt: Lifetimes, names: string[]): Instance {
  const deg = degrees(lt);
  // Integer arithmetic only: the choice changes the work count, so it must not depend on
  // the platform's floating-point functions.
  let listCost = 0;
  for (let i = 0; i < lt.n; i++) {
    const k = deg[i] >> 1;
    listCost += deg[i] + k * (32 - Math.clz32(k + 1));
  }
  const scanCost = (lt.n * lt.n) / 2;
  return { lt, deg, g: listCost <= scanCost ? conflictGraph(lt, deg) : undefined, names };
}

/**
 * Placement state: pos[i] is buffer i's place in the order and fit(i) looks only at
 * conflicting buffers with a smaller pos, so a prefix of the order keeps its offsets when
 * the rest changes. `work` counts elementary steps (the budget unit of the searches).
 */
export class Placer {
  readonly n: number;
  readonly size: Float64Array;
  readonly first: Float64Array;
  readonly last: Float64Array;
  readonly g: Conflicts | undefined;
  readonly pos: Int32Array;
  readonly off: Float64Array;
  work = 0;
  // Sparse mode scratch.
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  private readonly key: Float64Array;
  private slots: Int32Array;
  private readonly scale: number;
  private readonly packed: boolean;
  // Dense mode: buffers in the structure, sorted by (offset, index).
  private readonly sIdx: Int32Array;
  private readonly sOff: Float64Array;
  // Copies of end, first and last step in list order, for a sequential scan.
  private readonly sEnd: Float64Array;
  private readonly sFirst: Float64Array;
  private readonly sLast: Float64Array;
  private readonly inList: Uint8Array;
  private cnt = 0;
  /** True while decode() places a prefix: the list then holds only earlier buffers. */
  private prefixOnly = false;

  constructor(inst: Instance) {
    const n = inst.lt.n;
    this.n = n;
    this.size = inst.lt.size;
    this.first = inst.lt.first;
    this.last = inst.lt.last;
    this.g = inst.g;
    this.pos = new Int32Array(n);
    this.off = new Float64Array(n);
    const d = Math.max(1, this.g ? this.g.maxDegree : 1);
    this.lo = new Float64Array(d);
    this.hi = new Float64Array(d);
    this.key = new Float64Array(d);
    this.slots = new Int32Array(d);
    let scale = 1;
    while (scale <= d) scale *= 2;
    this.scale = scale;
    let total = 0;
    for (let i = 0; i < n; i++) total += this.size[i];
    this.packed = total * scale < 2 ** 52;
    const m = this.g ? 0 : n;
    this.sIdx = new Int32Array(m);
    this.sOff = new Float64Array(m);
    this.sEnd = new Float64Array(m);
    this.sFirst = new Float64Array(m);
    this.sLast = new Float64Array(m);
    this.inList = new Uint8Array(m);
  }

  get dense(): boolean { return this.g === undefined; }

  // ---------------------------------------------------------------- offset-sorted list

  /** First slot whose (offset, index) is at least (o, i). */
  private lowerSlot(o: number, i: number): number {
    const { sOff, sIdx } = this;
    let a = 0;
    let b = this.cnt;
    while (a < b) {
      const m = (a + b) >> 1;
      if (sOff[m] < o || (sOff[m] === o && sIdx[m] < i)) a = m + 1; else b = m;
    }
    return a;
  }

  private insert(i: number): void {
    const k = this.lowerSlot(this.off[i], i);
    for (const a of [this.sOff, this.sEnd, this.sFirst, this.sLast]) a.copyWithin(k + 1, k, this.cnt);
    this.sIdx.copyWithin(k + 1, k, this.cnt);
    this.sIdx[k] = i;
    this.sOff[k] = this.off[i];
    this.sEnd[k] = this.off[i] + this.size[i];
    this.sFirst[k] = this.first[i];
    this.sLast[k] = this.last[i];
    this.cnt++;
    this.inList[i] = 1;
    this.work += 8 + ((this.cnt - k) >> 4);
  }

  private remove(i: number): void {
    const k = this.lowerSlot(this.off[i], i);
    for (const a of [this.sOff, this.sEnd, this.sFirst, this.sLast]) a.copyWithin(k, k + 1, this.cnt);
    this.sIdx.copyWithin(k, k + 1, this.cnt);
    this.cnt--;
    this.inList[i] = 0;
    this.work += 8 + ((this.cnt - k) >> 4);
  }

  /** Move buffer i to offset o, keeping the sorted list in order. */
  setOffset(i: number, o: number): void {
    if (this.dense && this.inList[i]) {
      this.remove(i);
      this.off[i] = o;
      this.insert(i);
    } else {
      this.off[i] = o;
    }
  }

  // ---------------------------------------------------------------- placement

  /** Offset of buffer i among the conflicting buffers earlier in the order. */
  fit(i: number, rule: FitRule): number {
    return this.g ? this.fitSparse(i, rule, this.g) : this.fitDense(i, rule);
  }

  private fitDense(i: number, rule: FitRule): number {
    const { sIdx, sOff, sEnd, sFirst, sLast, pos } = this;
    const p = pos[i];
    const s = this.size[i];
    const f = this.first[i];
    const l = this.last[i];
    const cnt = this.cnt;
    const all = !this.prefixOnly;
    let cursor = 0;
    let best = -1;
    let bestGap = Infinity;
    let k = 0;
    for (; k < cnt; k++) {
      if (sFirst[k] > l || sLast[k] < f) continue;
      if (all && pos[sIdx[k]] >= p) continue;
      const gap = sOff[k] - cursor;
      if (gap >= s && rule !== 'top') {
        if (rule === 'first') { best = cursor; break; }
        if (gap < bestGap) {
          bestGap = gap;
          best = cursor;
          if (gap === s) break;
        }
      }
      if (sEnd[k] > cursor) cursor = sEnd[k];
    }
    this.work += k + 1;
    return best >= 0 ? best : cursor;
  }

  private fitSparse(i: number, rule: FitRule, g: Conflicts): number {
    const { pos, off, size, lo, hi } = this;
    const { start, adj } = g;
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
      const gap = lo[q] - cursor;
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

  /** Slots 0..k-1 ordered by lo. */
  private sortSlots(k: number): Int32Array {
    const out = this.slots;
    const { lo, key, scale } = this;
    if (k < 16) {
      for (let a = 0; a < k; a++) {
        let b = a;
        const l = lo[a];
        while (b > 0 && lo[out[b - 1]] > l) { out[b] = out[b - 1]; b--; }
        out[b] = a;
      }
      this.work += k;
      return out;
    }
    this.work += k * (32 - Math.clz32(k - 1));
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
    const n = this.n;
    for (let r = 0; r < n; r++) this.pos[perm[r]] = r;
    if (this.dense) { this.cnt = 0; this.inList.fill(0); }
    this.prefixOnly = true;
    let arena = 0;
    for (let r = 0; r < n; r++) {
      const i = perm[r];
      const o = this.fit(i, rule);
      this.off[i] = o;
      if (this.dense) this.insert(i);
      if (o + this.size[i] > arena) arena = o + this.size[i];
    }
    this.prefixOnly = false;
    return arena;
  }

  /** All buffers conflicting with i, into out; returns how many. */
  neighbours(i: number, out: Int32Array): number {
    if (this.g) {
      const { start, adj } = this.g;
      const d = start[i + 1] - start[i];
      out.set(adj.subarray(start[i], start[i + 1]));
      this.work += d + 1;
      return d;
    }
    const { first, last } = this;
    const f = first[i];
    const l = last[i];
    let k = 0;
    for (let j = 0; j < this.n; j++) if (j !== i && first[j] <= l && last[j] >= f) out[k++] = j;
    this.work += this.n;
    return k;
  }
}
