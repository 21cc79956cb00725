// Choosing tiled execution of the frozen prefix: every cut point and tile grid the train
// stage allows is scored by its memory lower bound; the best is planned and kept when it
// shrinks the arena enough to pay for the recomputed halos.
import { TrainGraph } from '../ir/train';
import { Plan, planLowerBound, planMemory, trainSchedule } from '../memory';
import { tilePrefix, tilingCandidates } from '../train/tiling';

const GRIDS: [number, number][] = [[2, 2], [3, 3], [4, 4], [6, 6], [8, 8]];
/** Tiling must save at least this fraction of the untiled arena. */
const MIN_SAVING = 0.1;

export interface TilingChoice { train: TrainGraph; plan: Plan; untiledArena: number }

/** 'always' tiles even when it does not save memory (for tests and experiments). */
export function chooseTiling(train: TrainGraph, mode: 'auto' | 'off' | 'always'): TilingChoice {
  const plan = planMemory(trainSchedule(train));
  const untiled = { train, plan, untiledArena: plan.arenaBytes };
  if (mode === 'off') return untiled;
  let best: { tg: TrainGraph; lb: number } | undefined;
  for (const cut of tilingCandidates(train)) {
    for (const grid of GRIDS) {
      const tg = tilePrefix(train, cut, grid);
      if (!tg) continue;
      const lb = planLowerBound(trainSchedule(tg));
      if (!best || lb < best.lb || (lb === best.lb && (tg.tiling?.tiles ?? 0) < (best.tg.tiling?.tiles ?? 0))) best = { tg, lb };
    }
  }
  if (!best) return untiled;
  const enough = (bytes: number): boolean => mode === 'always' || bytes <= plan.arenaBytes * (1 - MIN_SAVING);
  if (!enough(best.lb)) return untiled;
  const tiledPlan = planMemory(trainSchedule(best.tg));
  if (!enough(tiledPlan.arenaBytes)) return untiled;
  return { train: best.tg, plan: tiledPlan, untiledArena: plan.arenaBytes };
}
