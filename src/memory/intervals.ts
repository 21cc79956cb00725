// Interval-graph helpers for the planner, all by sweeping over start times: the conflict
// graph (buffers live at a common step), its connected components, and the lower bound
// (the largest total of bytes live at one step). O(n log n + conflicts).

/** Buffer lifetimes as typed arrays: size in bytes (aligned), first and last step (inclusive). */
export interface Lifetimes {
  n: number;
  size: Float64Array;
  first: Float64Array;
  last: Float64Array;
}

/** Indices sorted by first step, then by index (stable, deterministic). */
export function byFirst(lt: Lifetimes): Int32Array {
  const idx = Int32Array.from({ length: lt.n }, (_, i) => i);
  const f = lt.first;
  return idx.sort((a, b) => f[a] - f[b] || a - b);
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
  const ends = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => last[a] - last[b] || a - b);
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

/** Conflict graph in CSR form: the neighbours of i are adj[start[i] .. start[i + 1]). */
export interface Conflicts { start: Int32Array; adj: Int32Array; maxDegree: number }

export function conflictGraph(lt: Lifetimes, sortedByFirst: Int32Array = byFirst(lt)): Conflicts {
  const { n, first, last } = lt;
  let cap = Math.max(16, 4 * n);
  let eu = new Int32Array(cap);
  let ev = new Int32Array(cap);
  let m = 0;
  const deg = new Int32Array(n);
  let active = new Int32Array(Math.max(1, n));
  let na = 0;
  for (let k = 0; k < n; k++) {
    const i = sortedByFirst[k];
    const t = first[i];
    let w = 0;
    for (let r = 0; r < na; r++) {
      const j = active[r];
      if (last[j] < t) continue;
      active[w++] = j;
      if (m === cap) {
        cap *= 2;
        const nu = new Int32Array(cap); nu.set(eu); eu = nu;
        const nv = new Int32Array(cap); nv.set(ev); ev = nv;
      }
      eu[m] = i; ev[m] = j; m++;
      deg[i]++; deg[j]++;
    }
    na = w;
    active[na++] = i;
  }
  const start = new Int32Array(n + 1);
  let maxDegree = 0;
  for (let i = 0; i < n; i++) { start[i + 1] = start[i] + deg[i]; if (deg[i] > maxDegree) maxDegree = deg[i]; }
  const fill = start.slice(0, n);
  const adj = new Int32Array(2 * m);
  for (let e = 0; e < m; e++) {
    adj[fill[eu[e]]++] = ev[e];
    adj[fill[ev[e]]++] = eu[e];
  }
  // Neighbour lists in index order, so every walk over them is deterministic and cache-friendly.
  for (let i = 0; i < n; i++) adj.subarray(start[i], start[i + 1]).sort();
  active = new Int32Array(0);
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
