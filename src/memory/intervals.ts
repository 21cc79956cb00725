// Interval-graph helpers for the planner, all by sweeping over start times: conflict counts
// and lists (buffers live at a common step), connected components, and the lower bound
// (the largest total of bytes live at one step). O(n log n), plus the size of the lists.

/** Buffer lifetimes as typed arrays: size in bytes (aligned), first and last step (inclusive). */
export interface Lifetimes {
  n: number;
  size: Float64Array;
  first: Float64Array;
  last: Float64Array;
}

export function indices(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** Indices sorted by first step, then by index (deterministic). */
export function byFirst(lt: Lifetimes): Int32Array {
  const f = lt.first;
  return indices(lt.n).sort((a, b) => f[a] - f[b] || a - b);
}

export interface Peak { bytes: number; step: number }

/**
 * Largest total size live at one step and the earliest step where it is reached. The
 * maximum of a sum of intervals is reached at some interval's first step, so one sweep over
 * starts (sorted) with ends removed in order is enough.
 */
export function peakLoad(lt: Lifetimes, sortedByFirst: Int32Array = byFirst(lt)): Peak {
  const { n, size, first, last } = lt;
  if (n === 0) return { bytes: 0, step: 0 };
  const ends = indices(n).sort((a, b) => last[a] - last[b] || a - b);
  let load = 0;
  let e = 0;
  let best: Peak = { bytes: -1, step: 0 };
  for (let k = 0; k < n;) {
    const t = first[sortedByFirst[k]];
    while (e < n && last[ends[e]] < t) load -= size[ends[e++]];
    while (k < n && first[sortedByFirst[k]] === t) load += size[sortedByFirst[k++]];
    if (load > best.bytes) best = { bytes: load, step: t };
  }
  return best;
}

/** Number of other buffers each buffer conflicts with, by binary search over sorted starts and ends. */
export function degrees(lt: Lifetimes): Int32Array {
  const { n, first, last } = lt;
  const fs = Float64Array.from(first).sort();
  const ls = Float64Array.from(last).sort();
  const countLE = (a: Float64Array, x: number): number => {
    let lo = 0;
    let hi = a.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (a[m] <= x) lo = m + 1; else hi = m; }
    return lo;
  };
  const countLT = (a: Float64Array, x: number): number => {
    let lo = 0;
    let hi = a.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (a[m] < x) lo = m + 1; else hi = m; }
    return lo;
  };
  const deg = new Int32Array(n);
  // Others overlapping [f, l]: those starting at or before l, minus those ending before f.
  for (let i = 0; i < n; i++) deg[i] = countLE(fs, last[i]) - countLT(ls, first[i]) - 1;
  return deg;
}

/** Conflict graph in CSR form: the neighbours of i are adj[start[i] .. start[i + 1]), in index order. */
export interface Conflicts { start: Int32Array; adj: Int32Array; maxDegree: number }

export function conflictGraph(lt: Lifetimes, deg: Int32Array = degrees(lt)): Conflicts {
  const { n, first, last } = lt;
  const start = new Int32Array(n + 1);
  let maxDegree = 0;
  for (let i = 0; i < n; i++) { start[i + 1] = start[i] + deg[i]; if (deg[i] > maxDegree) maxDegree = deg[i]; }
  const adj = new Int32Array(start[n]);
  const fill = start.slice(0, n);
  // Sweep over starts in index order within equal starts; each pair is met once.
  const order = byFirst(lt);
  const active = new Int32Array(Math.max(1, n));
  let na = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    const t = first[i];
    let w = 0;
    for (let r = 0; r < na; r++) {
      const j = active[r];
      if (last[j] < t) continue;
      active[w++] = j;
      adj[fill[i]++] = j;
      adj[fill[j]++] = i;
    }
    na = w;
    active[na++] = i;
  }
  for (let i = 0; i < n; i++) adj.subarray(start[i], start[i + 1]).sort();
  return { start, adj, maxDegree };
}

/**
 * Connected components of the conflict graph. Interval-graph components are runs of the
 * start-sorted order in which no buffer starts after everything before it has ended.
 * Each component lists its buffers in index order.
 */
export function components(lt: Lifetimes, sortedByFirst: Int32Array = byFirst(lt)): Int32Array[] {
  const { n, first, last } = lt;
  const out: Int32Array[] = [];
  let k = 0;
  while (k < n) {
    let reach = last[sortedByFirst[k]];
    let j = k + 1;
    while (j < n && first[sortedByFirst[j]] <= reach) { reach = Math.max(reach, last[sortedByFirst[j]]); j++; }
    out.push(sortedByFirst.slice(k, j).sort());
    k = j;
  }
  return out;
}

/**
 * Time compressed into sections: maximal runs of steps with the same live buffers. Buffer i
 * lives in sections lo[i] .. hi[i] - 1.
 */
export interface Sections { count: number; lo: Int32Array; hi: Int32Array }

export function sections(lt: Lifetimes): Sections {
  const { n, first, last } = lt;
  const pts = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) { pts[2 * i] = first[i]; pts[2 * i + 1] = last[i] + 1; }
  pts.sort();
  let m = 0;
  for (let k = 0; k < pts.length; k++) if (k === 0 || pts[k] !== pts[k - 1]) pts[m++] = pts[k];
  const idx = (x: number): number => {
    let lo = 0;
    let hi = m;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (pts[mid] < x) lo = mid + 1; else hi = mid; }
    return lo;
  };
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  for (let i = 0; i < n; i++) { lo[i] = idx(first[i]); hi[i] = idx(last[i] + 1); }
  return { count: Math.max(0, m - 1), lo, hi };
}
