// Choosing tiled execution of the frozen prefix. Tiling recomputes halo rows and columns,
// so `auto` uses it only when the untiled arena does not fit: then, of the cut points and
// tile grids the train stage allows, it takes the one with the fewest tiles whose memory
// lower bound fits (the least recomputation), or the smallest one if none fits.
import { TrainGraph } from '../ir/train';
import { Plan, planLowerBound, planMemory, trainSchedule } from '../memory';
import { tilePrefix, tilingCandidates } from '../train/tiling';

const GRIDS: [number, number][] = [[2, 2], [3, 3], [4, 4], [6, 6], [8, 8]];

export interface TilingChoice { train: TrainGraph; plan: Plan; untiledArena: number }

/**
 * arenaLimit: the bytes the arena may take (budget or board SRAM minus everything else).
 * 'always' tiles with the smallest lower bound even when it does not help (tests, experiments).
 */
export function chooseTiling(train: TrainGraph, mode: 'auto' | 'off' | 'always', arenaLimit: number): TilingChoice {
  const plan = planMemory(trainSchedule(train));
  const untiled = { train, plan, untiledArena: plan.arenaBytes };
  if (mode === 'off' || (mode === 'auto' && plan.arenaBytes <= arenaLimit)) return untiled;
  const scored: { tg: TrainGraph; lb: number; tiles: number }[] = [];
  for (const cut of tilingCandidates(train)) {
    for (const grid of GRIDS) {
      const tg = tilePrefix(train, cut, grid);
      if (tg) scored.push({ tg, lb: planLowerBound(trainSchedule(tg)), tiles: grid[0] * grid[1] });
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
