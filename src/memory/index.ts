// memory/ stage: schedule + tensor sizes -> Plan (pure).
import { TrainGraph } from '../ir/train';
import { stepAccess, stepLabel } from '../train/steps';
import { lifetimes as lifetimesOf } from './lifetimes';
import { lowerBound as lowerBoundOf } from './planner';
import { PlanInput, PlanTensor } from './types';
export { planMemory, lowerBound } from './planner';
export { resolveAlias } from './lifetimes';
export * from './types';

/** The training-step schedule: every step of the TrainGraph with what it reads and writes. */
export function trainSchedule(tg: TrainGraph, alignment = 4, labels = true): PlanInput {
  const tensors: PlanTensor[] = tg.buffers.map((b) => ({
    name: b.name,
    bytes: b.bytes,
    kind: b.kind,
    liveAtStart: b.kind === 'input',
    // Evaluation reads the logits after the forward steps; the loss reads them in training.
    liveAtEnd: false,
  }));
  const steps = tg.steps.map((s) => ({ label: labels ? stepLabel(s) : '', ...stepAccess(s) }));
  return { tensors, steps, aliases: tg.aliases, alignment };
}

/** The largest total of bytes live at one step: no arena can be smaller. */
export function planLowerBound(input: PlanInput): number {
  return lowerBoundOf(lifetimesOf(input)).bytes;
}
export { checkBudget, parseBytes, sramPlan, masterEntries, RUNTIME_STATE_BYTES } from './account';
export { splitWeights } from '../ir/qgraph';
export type { SramPlan } from './account';
