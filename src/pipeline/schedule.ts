// Schedule choices that lower the memory peak, not only the offsets:
//  - the order of independent forward ops (backward follows in reverse);
//  - in-place elementwise forward ops;
//  - the backward of depthwise convs streamed channel by channel;
//  - tiled execution of the frozen prefix. Tiling recomputes halo rows and columns, so
//    `auto` uses it only when the untiled arena does not fit: then, of the cut points and
//    tile grids the train stage allows, it takes the fewest tiles whose memory lower bound
//    fits and, among the cuts that fit at that grid, the fewest instructions per step
//    (measured kernel costs, instructions.ts), or the smallest bound if none fits.
import { QGraph } from '../ir/qgraph';
import { Scheme } from '../ir/scheme';
import { Rounding, TrainGraph } from '../ir/train';
import { Plan, planLowerBound, planMemory, trainSchedule } from '../memory';
import { buildTrainGraph } from '../train';
import { inPlaceForward } from '../train/inplace';
import { trainStepInstructions } from './instructions';
import { memoryAwareOrder } from '../train/order';
import { streamBackward } from '../train/stream';
import { tilePrefix, tilingCandidates } from '../train/tiling';

const GRIDS: [number, number][] = [[2, 2], [3, 3], [4, 4], [6, 6], [8, 8]];

export type TilingMode = 'auto' | 'off' | 'always';

export interface ScheduleOptions {
  rounding: Rounding;
  tiling: TilingMode;
  /** Write eligible forward ops over their dead input (default true). */
  inPlace?: boolean;
  /** Try a memory-aware order of independent ops (default true). */
  reorder?: boolean;
  /** Stream the backward of depthwise convs channel by channel (default true). */
  stream?: boolean;
  /** The board runs the optimized kernels (hasDsp): regular convs get im2col scratch. */
  dsp?: boolean;
}

export interface ScheduleChoice {
  train: TrainGraph;
  plan: Plan;
  /** Arena of the chosen op order without tiling. */
  untiledArena: number;
  /** Lower bound of the model's own op order, untiled and not in place: what the choices bought. */
  naiveLowerBound: number;
  /** The memory-aware op order was kept over the model's own. */
  reordered: boolean;
}

/**
 * arenaLimit(tg): the bytes the arena may take for that training graph (budget or board
 * SRAM minus everything else).
 */
export function chooseSchedule(g: QGraph, scheme: Scheme, opts: ScheduleOptions, arenaLimit: (tg: TrainGraph) => number): ScheduleChoice {
  const plans = new Map<TrainGraph, Plan>();
  const planned = (tg: TrainGraph): Plan => {
    let p = plans.get(tg);
    if (!p) { p = planMemory(trainSchedule(tg)); plans.set(tg, p); }
    return p;
  };
  const r = pickSchedule(g, scheme, opts, arenaLimit, (tg) => planned(tg).arenaBytes);
  return { train: r.train, plan: planned(r.train), untiledArena: r.untiledArena, naiveLowerBound: r.naiveLowerBound, reordered: r.reordered };
}

/**
 * The same choices as chooseSchedule with every arena taken at its lower bound (no offsets
 * are planned): what a search over many schemes can afford. The planner reaches the bound
 * on every model of the zoo; gen plans the chosen scheme for real.
 */
export function estimateSchedule(g: QGraph, scheme: Scheme, opts: ScheduleOptions, arenaLimit: (tg: TrainGraph) => number): { train: TrainGraph; arenaBytes: number } {
  const r = pickSchedule(g, scheme, opts, arenaLimit, (tg) => planLowerBound(trainSchedule(tg)));
  return { train: r.train, arenaBytes: r.arena };
}

interface Picked { train: TrainGraph; arena: number; untiledArena: number }

function pickSchedule(g: QGraph, scheme: Scheme, opts: ScheduleOptions, arenaLimit: (tg: TrainGraph) => number, measure: (tg: TrainGraph) => number): Picked & { naiveLowerBound: number; reordered: boolean } {
  const topts = { rounding: opts.rounding, im2col: opts.dsp === true };
  const naive = buildTrainGraph(g, scheme, topts);
  const naiveLowerBound = planLowerBound(trainSchedule(naive));
  const reordered = opts.reorder === false ? null : memoryAwareOrder(g);
  // Streaming through a global average pool only pays where the pool's input gradient is
  // at the peak: each variant is tried, and one after the first must be strictly smaller.
  const streamed = (tg: TrainGraph): TrainGraph[] => {
    if (opts.stream === false) return [tg];
    // Recomputing a two-level stream's input channel by channel runs the conv before it
    // once more: also a variant, kept only where its arena is smaller.
    const variants = [{}, { gap: true }, { recompute: true }, { gap: true, recompute: true }].map((o) => streamBackward(tg, o));
    // Each transform notes what it did: equal notes, equal graphs.
    const same = (a: TrainGraph, b: TrainGraph): boolean => a.notes.join('\n') === b.notes.join('\n');
    return variants.filter((v, k) => !variants.slice(0, k).some((w) => same(v, w)));
  };
  const orders = [naive, ...(reordered ? [buildTrainGraph(reordered, scheme, topts)] : [])];
  let best: (Picked & { naiveLowerBound: number; reordered: boolean }) | undefined;
  orders.forEach((order, i) => {
    for (const tg of streamed(order)) {
      const c = pickTiling(tg, opts.tiling, arenaLimit(tg), opts.inPlace !== false, measure);
      if (!best || c.arena < best.arena) best = { ...c, naiveLowerBound, reordered: i > 0 };
    }
  });
  return best!;
}

function pickTiling(train: TrainGraph, mode: TilingMode, arenaLimit: number, inPlace: boolean, measure: (tg: TrainGraph) => number): Picked {
  const finish = (tg: TrainGraph): TrainGraph => (inPlace ? inPlaceForward(tg) : tg);
  const whole = finish(train);
  const wholeArena = measure(whole);
  const untiled = { train: whole, arena: wholeArena, untiledArena: wholeArena };
  if (mode === 'off' || (mode === 'auto' && wholeArena <= arenaLimit)) return untiled;
  type Scored = { tg: TrainGraph; lb: number; tiles: number };
  // Tilings are compared by their lower bound before in-place ops (which never raise it):
  // a third less work per candidate; the chosen one is finished and measured below.
  const score = (cut: string, grid: [number, number]): Scored | null => {
    const tg = tilePrefix(train, cut, grid);
    if (!tg) return null;
    return { tg, lb: planLowerBound(trainSchedule(tg, 4, false)), tiles: grid[0] * grid[1] };
  };
  const cuts = tilingCandidates(train);
  // Every cut's tiling at a grid size, computed once per size.
  const levels = new Map<number, Scored[]>();
  const atLevel = (level: number): Scored[] => {
    let v = levels.get(level);
    if (!v) {
      v = cuts.map((cut) => score(cut, GRIDS[level])).filter((x): x is Scored => x !== null);
      levels.set(level, v);
    }
    return v;
  };
  const smallest = (xs: Scored[]): Scored | undefined => [...xs].sort((a, b) => a.lb - b.lb || a.tiles - b.tiles)[0];
  const top = GRIDS.length - 1;
  let best: Scored | undefined;
  if (mode === 'auto') {
    // The fewest tiles that fit: more tiles never need more memory, so binary search over
    // the grid sizes, every cut at each; of the cuts that fit at the smallest size, the
    // smallest bound.
    const fitAt = (level: number): Scored | undefined => smallest(atLevel(level).filter((x) => x.lb <= arenaLimit));
    let lo = 0;
    let hi = top;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (fitAt(mid)) hi = mid; else lo = mid + 1;
    }
    // Cuts differ in how much they recompute: the cheapest step, then the smallest bound.
    const cost = (x: Scored): number => trainStepInstructions(x.tg);
    best = atLevel(lo).filter((x) => x.lb <= arenaLimit).sort((a, b) => cost(a) - cost(b) || a.lb - b.lb)[0];
  }
  if (!best) {
    // Nothing fits (or 'always'): the smallest bound, which the largest grid gives for each
    // cut; then, for that cut, the fewest tiles with the same bound.
    // (A small map may not split into the largest grids: take the largest that applies.)
    let from = top;
    while (from > 0 && atLevel(from).length === 0) from--;
    const min = smallest(atLevel(from));
    if (!min) return untiled;
    best = min;
    const cut = min.tg.tiling?.output;
    for (let level = from - 1; level >= 0 && cut; level--) {
      const known = levels.get(level)?.find((x) => x.tg.tiling?.output === cut);
      const same = known ?? score(cut, GRIDS[level]);
      if (!same || same.lb !== min.lb) break;
      best = same;
    }
  }
  const chosen = finish(best.tg);
  const arena = measure(chosen);
  if (mode === 'auto' && arena >= wholeArena) return untiled;
  return { train: chosen, arena, untiledArena: wholeArena };
}
