// Sparse-update search: pick the scheme (bias of the last k layers + per-layer weight
// ratios) that maximizes the additive gain model within an SRAM budget (and optionally an
// instructions-per-step budget). The oracles run the real planner, are monotone but not
// additive, and cost 5-400 ms a call, so the search is built around asking them rarely:
// every answer is cached, and monotonicity lets a known-infeasible config rule out every
// config above it (and a known-feasible one vouch for every config below it) for free.
import { mulberry32 } from '../numeric';
import { TinytrainError } from '../errors';
import { Ratio } from '../ir/scheme';
import { Config, FrontierPoint, GainTable, MemoryOracle, SearchOptions, SearchResult, WEIGHT_RATIOS } from './types';

/** SearchOptions plus a cap on the oracle calls of the evolutionary search. */
export interface SearchOptionsExt extends SearchOptions {
  /** Distinct memory-oracle calls the evolutionary search may make (default max(400, 2 × single options)). */
  maxEvaluations?: number;
}

/** The exact search gives up (and falls back to evolutionary) beyond these: pops cost no oracle call, calls do. */
const EXACT_MAX_POPS = 200000;
const EXACT_MAX_CALLS = 2000;
const POPULATION = 12;

export function configKey(c: Config): string {
  return `${c.biasLastK}:${c.ratios.join(',')}`;
}

export function emptyConfig(layers: number): Config {
  return { biasLastK: 0, ratios: new Array<Ratio>(layers).fill(0) };
}

function measured(v: number | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function biasGain(table: GainTable, k: number): number | null {
  if (k === 0) return 0;
  const e = table.biasLastK.find((b) => b.k === k && measured(b.gain));
  return e ? e.gain : null;
}

/** The additive model; null when the config uses an option the table did not measure. */
export function predictedGain(table: GainTable, c: Config): number | null {
  const L = table.layers.length;
  if (c.ratios.length !== L) return null;
  let sum = biasGain(table, c.biasLastK);
  if (sum === null) return null;
  for (let i = 0; i < L; i++) {
    const r = c.ratios[i];
    if (r === 0) continue;
    const w = table.layers[i].weights[r];
    if (!measured(w)) return null;
    // A weight gain includes the layer's bias, which the bias part already counts for the last k.
    sum += i >= L - c.biasLastK ? w - table.layers[i].bias : w;
  }
  return Number.isFinite(sum) ? sum : null;
}

// ------------------------------------------------------------------ search space

/**
 * A config as option indices: g[0] indexes space.ks, g[1 + i] indexes space.ratios[i]. The
 * lists ascend, so index order is value order and dominance is coordinatewise on genes.
 */
type Gene = number[];

interface Space {
  L: number;
  /** Allowed biasLastK values, ascending, 0 first. */
  ks: number[];
  kGain: number[];
  /** Allowed ratios per layer, ascending, 0 first. */
  ratios: Ratio[][];
  /** vals[kk][i][j]: layer i's term at option j when k = ks[kk] (the model is separable once k is fixed). */
  vals: number[][][];
}

function buildSpace(table: GainTable): Space {
  const L = table.layers.length;
  const measuredK = table.biasLastK.filter((b) => Number.isInteger(b.k) && b.k >= 1 && b.k <= L && measured(b.gain));
  const ks = [0, ...new Set(measuredK.map((b) => b.k))].sort((a, b) => a - b);
  const ratios = table.layers.map((l): Ratio[] => [0, ...WEIGHT_RATIOS.filter((r) => measured(l.weights[r]))]);
  // Same expressions as predictedGain, so sums over a gene equal it bit for bit.
  const vals = ks.map((k) => ratios.map((rs, i) => rs.map((r) => {
    if (r === 0) return 0;
    const w = table.layers[i].weights[r] as number;
    return i >= L - k ? w - table.layers[i].bias : w;
  })));
  return { L, ks, kGain: ks.map((k) => biasGain(table, k) as number), ratios, vals };
}

function toConfig(s: Space, g: Gene): Config {
  return { biasLastK: s.ks[g[0]], ratios: s.ratios.map((rs, i) => rs[g[i + 1]]) };
}

function geneGain(s: Space, g: Gene): number {
  const v = s.vals[g[0]];
  let sum = s.kGain[g[0]];
  for (let i = 0; i < s.L; i++) sum += v[i][g[i + 1]];
  return sum;
}

const leq = (a: Gene, b: Gene): boolean => a.every((x, p) => x <= b[p]);

function lexLess(a: Gene, b: Gene): boolean {
  for (let p = 0; p < a.length; p++) if (a[p] !== b[p]) return a[p] < b[p];
  return false;
}

interface Found { g: Gene; gain: number; sram: number }

/** Higher gain, then smaller memory, then the lexicographically smaller config. */
function better(a: Found, b: Found): boolean {
  if (a.gain !== b.gain) return a.gain > b.gain;
  if (a.sram !== b.sram) return a.sram < b.sram;
  return lexLess(a.g, b.g);
}

// ------------------------------------------------------------------ oracle access

interface Verdict { feasible: boolean; sram?: number }

interface Evaluator {
  /** Feasibility, from the cache, from dominance, or else from the oracles. */
  check(g: Gene): Verdict;
  /** Like check, but always knows the memory (calls the oracle if dominance answered). */
  measure(g: Gene): Verdict & { sram: number };
  instructions(g: Gene): number | undefined;
  /** Distinct configs whose memory this search asked the oracle for. */
  calls(): number;
}

function makeEvaluator(s: Space, memory: MemoryOracle, opts: SearchOptions): Evaluator {
  const verdicts = new Map<string, Verdict>();
  const sramMemo = new Map<string, number>();
  const timeMemo = new Map<string, number>();
  const infeasible: Gene[] = []; // minimal known-infeasible genes
  const feasible: Gene[] = [];   // maximal known-feasible genes
  const time = opts.time;
  const timeBudget = opts.timeBudget;

  const sramOf = (g: Gene, key: string): number => {
    let m = sramMemo.get(key);
    if (m === undefined) sramMemo.set(key, (m = memory(toConfig(s, g))));
    return m;
  };
  const instructions = (g: Gene): number | undefined => {
    if (!time) return undefined;
    const key = g.join(',');
    let t = timeMemo.get(key);
    if (t === undefined) timeMemo.set(key, (t = time(toConfig(s, g))));
    return t;
  };

  const check = (g: Gene): Verdict => {
    const key = g.join(',');
    const known = verdicts.get(key);
    if (known) return known;
    let v: Verdict;
    if (infeasible.some((x) => leq(x, g))) v = { feasible: false };
    else if (feasible.some((x) => leq(g, x))) v = { feasible: true };
    else {
      const sram = sramOf(g, key);
      // A NaN from an oracle compares false, so it counts as infeasible.
      let ok = sram <= opts.budget;
      if (ok && time && timeBudget !== undefined) ok = (instructions(g) as number) <= timeBudget;
      v = { feasible: ok, sram };
      // Keep antichains: a new bound replaces the ones it makes redundant.
      if (ok) {
        for (let t = feasible.length - 1; t >= 0; t--) if (leq(feasible[t], g)) feasible.splice(t, 1);
        feasible.push(g.slice());
      } else {
        for (let t = infeasible.length - 1; t >= 0; t--) if (leq(g, infeasible[t])) infeasible.splice(t, 1);
        infeasible.push(g.slice());
      }
    }
    verdicts.set(key, v);
    return v;
  };

  const measure = (g: Gene): Verdict & { sram: number } => {
    const v = check(g);
    if (v.sram === undefined) v.sram = sramOf(g, g.join(','));
    return v as Verdict & { sram: number };
  };

  return { check, measure, instructions, calls: () => sramMemo.size };
}

// ------------------------------------------------------------------ exact search

function heapPush<T>(h: T[], x: T, before: (a: T, b: T) => boolean): void {
  h.push(x);
  for (let i = h.length - 1; i > 0;) {
    const p = (i - 1) >> 1;
    if (!before(h[i], h[p])) break;
    [h[i], h[p]] = [h[p], h[i]];
    i = p;
  }
}

function heapPop<T>(h: T[], before: (a: T, b: T) => boolean): T {
  const top = h[0];
  const last = h.pop() as T;
  if (h.length > 0) {
    h[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && before(h[l], h[m])) m = l;
      if (r < h.length && before(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
  return top;
}

/**
 * Lower each coordinate of an infeasible gene (deepest layer first, k last) to the smallest
 * option that keeps it infeasible. The smaller infeasible config the evaluator then knows
 * rules out far more of the configs popped later: a handful of calls that save many.
 */
function shrinkInfeasible(g: Gene, ev: Evaluator): void {
  let core = g;
  for (let p = g.length - 1; p >= 0; p--) {
    for (let j = 0; j < core[p]; j++) {
      const cand = core.slice();
      cand[p] = j;
      if (!ev.check(cand).feasible) {
        core = cand;
        break;
      }
    }
  }
}

/**
 * Best-first enumeration in decreasing gain: for each k, every layer's options sorted by
 * decreasing term; a node is a rank vector, and its children raise one rank at a position
 * >= the last one raised, which reaches every vector exactly once and never raises the gain.
 * The first feasible config popped is optimal; configs popped with the same gain are still
 * checked to break the tie. Infeasible configs are shrunk so dominance skips more of the
 * rest without a call. Returns null when it hits its caps before finding anything.
 */
function exactSearch(s: Space, ev: Evaluator): Found | null {
  const order = s.vals.map((vk) => vk.map((v) => v.map((_, j) => j).sort((a, b) => v[b] - v[a] || a - b)));
  interface Node { gain: number; g: Gene; kk: number; ranks: number[]; last: number }
  const before = (a: Node, b: Node): boolean => a.gain > b.gain;
  const heap: Node[] = [];
  const push = (kk: number, ranks: number[], last: number): void => {
    const g = [kk, ...ranks.map((r, i) => order[kk][i][r])];
    heapPush(heap, { gain: geneGain(s, g), g, kk, ranks, last }, before);
  };
  s.ks.forEach((_, kk) => push(kk, new Array<number>(s.L).fill(0), 0));

  let best: Found | null = null;
  for (let pops = 0; heap.length > 0; pops++) {
    if (best && heap[0].gain < best.gain) break;
    // Giving up mid-tie still returns an optimal gain.
    if (pops >= EXACT_MAX_POPS || ev.calls() >= EXACT_MAX_CALLS) return best;
    const n = heapPop(heap, before);
    for (let i = n.last; i < s.L; i++) {
      if (n.ranks[i] + 1 >= order[n.kk][i].length) continue;
      const ranks = n.ranks.slice();
      ranks[i]++;
      push(n.kk, ranks, i);
    }
    const callsBefore = ev.calls();
    if (!ev.check(n.g).feasible) {
      if (ev.calls() > callsBefore) shrinkInfeasible(n.g, ev);
      continue;
    }
    const found: Found = { g: n.g, gain: n.gain, sram: ev.measure(n.g).sram };
    if (!best || better(found, best)) best = found;
  }
  return best;
}

// ------------------------------------------------------------------ evolutionary search


function evolutionary(s: Space, ev: Evaluator, opts: SearchOptionsExt): Found {
  const budget = opts.budget;
  const rng = mulberry32(opts.seed ?? 1);
  const P = s.L + 1; // gene positions: 0 = k, 1 + i = layer i
  const sizes = [s.ks.length, ...s.ratios.map((rs) => rs.length)];
  const singles = sizes.reduce((a, n) => a + n - 1, 0);
  const cap = ev.calls() + (opts.maxEvaluations ?? Math.max(400, 2 * singles));
  const spent = (): boolean => ev.calls() >= cap;

  const zero: Gene = new Array<number>(P).fill(0);
  const base = ev.measure(zero).sram;

  // Price of an option: the bytes it adds to the empty firmware on its own. The heuristics
  // rank by gain per priced byte; the oracle alone decides feasibility. Options that do not
  // fit even alone are dropped (top[p] is the highest usable index at position p).
  const price: number[][] = [];
  const top: number[] = [];
  for (let p = 0; p < P; p++) {
    price.push([0]);
    top.push(0);
    for (let j = 1; j < sizes[p]; j++) {
      const g = zero.slice();
      g[p] = j;
      const v = ev.measure(g);
      if (!v.feasible) break; // every larger option at p dominates this one
      price[p].push(Math.max(price[p][j - 1], v.sram - base));
      top[p] = j;
    }
  }
  const movable = top.map((t, p) => (t > 0 ? p : -1)).filter((p) => p >= 0);

  // Gain change of moving position p to option j (a change of k re-prices every layer).
  const delta = (g: Gene, p: number, j: number): number => {
    if (p > 0) {
      const v = s.vals[g[0]][p - 1];
      return v[j] - v[g[p]];
    }
    const h = g.slice();
    h[0] = j;
    return geneGain(s, h) - geneGain(s, g);
  };

  /** The raise with the best gain per priced byte; `fits` says whether the price keeps it within `room`. */
  const bestRaise = (g: Gene, room: number | undefined, skip: Set<string>, perByte = true):
    { p: number; j: number; bytes: number; fits: boolean } | null => {
    let pick: { p: number; j: number; bytes: number; fits: boolean } | null = null;
    let pickScore = -Infinity;
    for (const p of movable) {
      for (let j = g[p] + 1; j <= top[p]; j++) {
        const gain = delta(g, p, j);
        if (!(gain > 0) || skip.has(`${p}:${j}`)) continue;
        const bytes = price[p][j] - price[p][g[p]];
        const fits = room === undefined || bytes <= room;
        const score = perByte ? gain / Math.max(bytes, 1) : gain;
        if (!pick || (fits && !pick.fits) || (fits === pick.fits && score > pickScore)) {
          pick = { p, j, bytes, fits };
          pickScore = score;
        }
      }
    }
    return pick;
  };

  /** Greedy on prices alone (no oracle call): raise the best option while the prices fit. */
  const priceGreedy = (perByte: boolean): Gene => {
    const g = zero.slice();
    let room = budget - base;
    for (let r = bestRaise(g, room, new Set(), perByte); r && r.fits; r = bestRaise(g, room, new Set(), perByte)) {
      g[r.p] = r.j;
      room -= r.bytes;
    }
    return g;
  };

  /**
   * Prices add up, real costs may overlap (activations kept once for several layers): near a
   * measured config, scale prices by what it really costs over what its prices say.
   */
  const localScale = (g: Gene, sram: number | undefined): number => {
    const sum = g.reduce((a, j, p) => a + price[p][j], 0);
    return sram === undefined || sum <= 0 ? 1 : Math.min(10, Math.max(0.1, (sram - base) / sum));
  };

  /**
   * Raise options through the oracle: first those the scaled prices say fit, then up to
   * `tries` they rule out. Stops after `maxFails` oracle calls that said no.
   */
  const fill = (g: Gene, v: Verdict, tries: number, maxFails: number): { g: Gene; v: Verdict } => {
    const skip = new Set<string>();
    let fails = 0;
    while (!spent() && fails < maxFails) {
      const r = bestRaise(g, v.sram === undefined ? undefined : (budget - v.sram) / localScale(g, v.sram), skip);
      if (!r || (!r.fits && tries <= 0)) break;
      const cand = g.slice();
      cand[r.p] = r.j;
      const callsBefore = ev.calls();
      const cv = ev.check(cand);
      if (cv.feasible) {
        g = cand;
        v = cv;
        continue;
      }
      skip.add(`${r.p}:${r.j}`);
      if (!r.fits) tries--;
      if (ev.calls() > callsBefore) fails++;
    }
    return { g, v };
  };

  /** Lower the step that loses the least gain per priced byte until the oracle says it fits. */
  const repair = (g: Gene): { g: Gene; v: Verdict } | null => {
    g = g.slice();
    let v = ev.check(g);
    while (!v.feasible) {
      if (spent()) return null;
      // Free (by scaled prices) at least the measured excess before asking again; one step when unknown.
      let excess = v.sram !== undefined ? v.sram - budget : 0;
      const alpha = localScale(g, v.sram);
      do {
        let bp = -1;
        let bScore = Infinity;
        for (let p = 0; p < P; p++) {
          if (g[p] === 0) continue;
          const freed = price[p][g[p]] - price[p][g[p] - 1];
          const score = -delta(g, p, g[p] - 1) / Math.max(freed, 1);
          if (score < bScore) { bScore = score; bp = p; }
        }
        excess -= alpha * (price[bp][g[bp]] - price[bp][g[bp] - 1]);
        g[bp]--;
      } while (excess > 0 && g.some((x) => x > 0));
      v = ev.check(g);
    }
    return { g, v };
  };

  interface Member { g: Gene; gain: number }
  let best: Found = { g: zero, gain: geneGain(s, zero), sram: base };
  const pop: Member[] = [];
  const inPop = new Set<string>();
  /** Add a feasible gene to the population; returns whether it improved the best. */
  const offer = (g: Gene): boolean => {
    const gain = geneGain(s, g);
    let improved = false;
    if (gain >= best.gain) {
      const f: Found = { g, gain, sram: ev.measure(g).sram };
      if (better(f, best)) { best = f; improved = true; }
    }
    const key = g.join(',');
    if (!inPop.has(key)) {
      inPop.add(key);
      pop.push({ g, gain });
      pop.sort((a, b) => b.gain - a.gain || (lexLess(a.g, b.g) ? -1 : 1));
      if (pop.length > POPULATION) inPop.delete(pop.pop()!.g.join(','));
    }
    return improved;
  };

  offer(zero);
  for (const perByte of [true, false]) {
    const r = repair(priceGreedy(perByte));
    if (!r) break;
    offer(fill(r.g, r.v, 2, 4).g);
  }

  const tournament = (): Member => {
    const a = pop[Math.floor(rng() * pop.length)];
    const b = pop[Math.floor(rng() * pop.length)];
    return a.gain >= b.gain ? a : b;
  };
  const mutate = (g: Gene): void => {
    if (movable.length === 0) return;
    const p = movable[Math.floor(rng() * movable.length)];
    const up = g[p] === 0 || (g[p] < top[p] && rng() < 0.5);
    g[p] += up ? 1 : -1;
  };

  let stale = 0;
  for (let it = 0; it < 5000 && stale < 300 && !spent(); it++) {
    const a = tournament();
    const b = tournament();
    const g = rng() < 0.5 ? a.g.map((x, p) => (rng() < 0.5 ? x : b.g[p])) : a.g.slice();
    for (let m = 1 + Math.floor(rng() * 3); m > 0; m--) mutate(g);
    const r = repair(g);
    if (!r) break;
    stale = offer(fill(r.g, r.v, 1, 2).g) ? 0 : stale + 1;
  }
  return best;
}

// ------------------------------------------------------------------ entry points

/** The config with the highest predicted gain that fits the budget(s). */
export function searchScheme(table: GainTable, memory: MemoryOracle, opts: SearchOptionsExt): SearchResult {
  if (Number.isNaN(opts.budget)) throw new TinytrainError('the SRAM budget must be a number of bytes', 'E_BUDGET');
  const s = buildSpace(table);
  const ev = makeEvaluator(s, memory, opts);
  const zero: Gene = new Array<number>(s.L + 1).fill(0);
  const none = ev.measure(zero);
  if (!(none.sram <= opts.budget)) {
    throw new TinytrainError(`nothing can be trained within the budget of ${opts.budget} B: the firmware without any `
      + `update needs ${none.sram} B (${none.sram - opts.budget} B over)`, 'E_BUDGET');
  }
  if (!none.feasible) {
    const t = ev.instructions(zero) as number;
    throw new TinytrainError(`nothing can be trained within the time budget of ${opts.timeBudget} instructions per step: `
      + `the firmware without any update needs ${t} (${t - (opts.timeBudget as number)} over)`, 'E_BUDGET');
  }

  const configs = s.ratios.reduce((n, rs) => n * rs.length, s.ks.length);
  let best: Found | null = null;
  let method: SearchResult['method'] = 'exhaustive';
  if (configs <= (opts.maxExhaustive ?? 200000)) best = exactSearch(s, ev);
  if (!best) {
    method = 'evolutionary';
    best = evolutionary(s, ev, opts);
  }
  const result: SearchResult = {
    config: toConfig(s, best.g),
    predictedGain: best.gain,
    sramBytes: best.sram,
    evaluated: ev.calls(),
    method,
  };
  const instructions = ev.instructions(best.g);
  if (instructions !== undefined) result.instructions = instructions;
  return result;
}

function memoize(f: (c: Config) => number): (c: Config) => number {
  const cache = new Map<string, number>();
  return (c) => {
    const key = configKey(c);
    let v = cache.get(key);
    if (v === undefined) cache.set(key, (v = f(c)));
    return v;
  };
}

/** The best config at each budget (ascending), sharing the oracles' answers; budgets where nothing fits are skipped. */
export function tradeoffFrontier(table: GainTable, memory: MemoryOracle, budgets: number[],
  opts: Omit<SearchOptionsExt, 'budget'> = {}): FrontierPoint[] {
  const mem = memoize(memory);
  const time = opts.time && memoize(opts.time);
  const points: FrontierPoint[] = [];
  for (const budget of [...budgets].sort((a, b) => a - b)) {
    let r: SearchResult;
    try {
      r = searchScheme(table, mem, { ...opts, time, budget });
    } catch (e) {
      if (e instanceof TinytrainError && e.code === 'E_BUDGET') continue;
      throw e;
    }
    // What fit a smaller budget fits this one: never report less (the evolutionary search is not exact).
    const prev = points[points.length - 1];
    if (prev && prev.predictedGain > r.predictedGain) points.push({ ...prev, budget });
    else points.push({ budget, sramBytes: r.sramBytes, predictedGain: r.predictedGain, config: r.config });
  }
  return points;
}
