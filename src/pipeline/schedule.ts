// Schedule choices that lower the memory peak, not only the offsets:
//  - the order of independent forward ops (backward follows in reverse);
//  - in-place elementwise forward ops;
//  - the backward of depthwise convs streamed channel by channel;
//  - tiled execution of the frozen prefix. Tiling recomputes halo rows and columns, so
//    `auto` uses it only when the untiled arena does not fit: then, of the cut points and
//    tile grids the train stage allows, it takes the one with the fewest tiles whose memory
//    lower bound fits (the least recomputation), or the smallest one if none fits.
import { QGraph } from '../ir/qgraph';
import { Scheme } from '../ir/scheme';
import { Rounding, TrainGraph } from '../ir/train';
import { Plan, planLowerBound, planMemory, trainSchedule } from '../memory';
import { buildTrainGraph } from '../train';
import { inPlaceForward } from '../train/inplace';
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
  const naive = buildTrainGraph(g, scheme, { rounding: opts.rounding });
  const naiveLowerBound = planLowerBound(trainSchedule(naive));
  const reordered = opts.reorder === false ? null : memoryAwareOrder(g);
  const streamed = (tg: TrainGraph): TrainGraph => (opts.stream === false ? tg : streamBackward(tg));
  const orders = [naive, ...(reordered ? [buildTrainGraph(reordered, scheme, { rounding: opts.rounding })] : [])].map(streamed);
  let best: ScheduleChoice | undefined;
  orders.forEach((tg, i) => {
    const c = chooseTiling(tg, opts.tiling, arenaLimit(tg), opts.inPlace !== false);
    if (!best || c.plan.arenaBytes < best.plan.arenaBytes) best = { ...c, naiveLowerBound, reordered: i > 0 };
  });
  return best!;
}

function chooseTiling(train: TrainGraph, mode: TilingMode, arenaLimit: number, inPlace: boolean): Omit<ScheduleChoice, 'naiveLowerBound' | 'reordered'> {
  const finish = (tg: TrainGraph): TrainGraph => (inPlace ? inPlaceForward(tg) : tg);
  const whole = finish(train);
  const plan = planMemory(trainSchedule(whole));
  const untiled = { train: whole, plan, untiledArena: plan.arenaBytes };
  if (mode === 'off' || (mode === 'auto' && plan.arenaBytes <= arenaLimit)) return untiled;
  const scored: { tg: TrainGraph; lb: number; tiles: number }[] = [];
  for (const cut of tilingCandidates(train)) {
    for (const grid of GRIDS) {
      const t = tilePrefix(train, cut, grid);
      if (!t) continue;
      const tg = finish(t);
      scored.push({ tg, lb: planLowerBound(trainSchedule(tg)), tiles: grid[0] * grid[1] });
    }
  }
  if (scored.length === 0) return untiled;
  const bySize = (a: { lb: number; tiles: number }, b: { lb: number; tiles: number }): number => a.lb - b.lb || a.tiles - b.tiles;
  const fitting = scored.filter((s) => s.lb <= arenaLimit).sort((a, b) => a.tiles - b.tiles || a.lb - b.lb);
  const best = mode === 'auto' && fitting.length ? fitting[0] : [...scored].sort(bySize)[0];
  const tiledPlan = planMemory(trainSchedule(best.tg));
  if (mode === 'auto' && tiledPlan.arenaBytes >= plan.arenaBytes) return untiled;
  return { train: best.tg, plan: tiledPlan, untiledArena: plan.arenaBytes };
}
