// What a scheme costs: SRAM from the real schedule choices and memory planner (the same
// calls gen makes), and instructions per training step (pipeline/instructions.ts: measured
// per-kernel costs).
import { Board, hasDsp } from '../boards';
import { QGraph } from '../ir/qgraph';
import { Scheme } from '../ir/scheme';
import { Rounding, TrainGraph } from '../ir/train';
import { sramPlan } from '../memory';
import { trainStepInstructions } from '../pipeline/instructions';
import { chooseSchedule, estimateSchedule } from '../pipeline/schedule';

export { nodeMacs, trainStepInstructions } from '../pipeline/instructions';

export interface SchemeCost { sramBytes: number; arenaBytes: number; instructions: number; tiled: boolean }

/**
 * SRAM in total (arena + trainable + state + stack reserve) with gen's schedule choices.
 * exact: plan the offsets as gen does; otherwise take the arena at its lower bound (what
 * the planner reaches on every zoo model), fast enough for a search.
 */
export function schemeCost(q: QGraph, scheme: Scheme, board: Board, rounding: Rounding, budget: number | undefined, exact = true): SchemeCost {
  const limit = Math.min(budget ?? Infinity, board.memory.sram.size);
  const arenaLimit = (tg: TrainGraph): number => limit - sramPlan(tg, 0, board.stack_bytes).total;
  const c = exact
    ? (({ train, plan }) => ({ train, arenaBytes: plan.arenaBytes }))(chooseSchedule(q, scheme, { rounding, tiling: 'auto', dsp: hasDsp(board) }, arenaLimit))
    : estimateSchedule(q, scheme, { rounding, tiling: 'auto', dsp: hasDsp(board) }, arenaLimit);
  const sram = sramPlan(c.train, c.arenaBytes, board.stack_bytes);
  return { sramBytes: sram.total, arenaBytes: c.arenaBytes, instructions: trainStepInstructions(c.train), tiled: !!c.train.tiling };
}
