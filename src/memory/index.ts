// memory/ stage: schedule + tensor sizes -> Plan (pure).
import { QGraph } from '../ir/qgraph';
import { TrainGraph, TrainStep } from '../ir/train';
import { PlanInput, PlanTensor } from './types';
export { planMemory, lowerBound } from './planner';
export { resolveAlias } from './lifetimes';
import { lifetimes as lifetimesOf } from './lifetimes';
import { lowerBound as lowerBoundOf } from './planner';
export * from './types';

const bytesOf = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** The inference schedule of a QGraph: one step per node, in order. */
export function inferenceSchedule(g: QGraph, alignment = 4): PlanInput {
  const aliases: Record<string, string> = {};
  for (const n of g.nodes) if (n.op === 'reshape') aliases[n.output] = n.inputs[0];
  const tensors: PlanTensor[] = Object.values(g.tensors).map((t) => ({
    name: t.name,
    bytes: bytesOf(t.shape),
    kind: t.name === g.input ? 'input' : t.name === g.output ? 'output' : 'activation',
    liveAtStart: t.name === g.input,
    liveAtEnd: t.name === g.output,
  }));
  // The logits may alias an earlier tensor (a trailing reshape): keep its base alive too.
  const steps = g.nodes.map((n) => ({ label: n.name, reads: n.inputs, writes: [n.output] }));
  steps.push({ label: 'main: read logits', reads: [g.output], writes: [] });
  return { tensors, steps, aliases, alignment };
}

/** The training-step schedule: every step of the TrainGraph with what it reads and writes. */
export function trainSchedule(tg: TrainGraph, alignment = 4): PlanInput {
  const tensors: PlanTensor[] = tg.buffers.map((b) => ({
    name: b.name,
    bytes: b.bytes,
    kind: b.kind,
    liveAtStart: b.kind === 'input',
    // Evaluation reads the logits after the forward steps; the loss reads them in training.
    liveAtEnd: false,
  }));
  const steps = tg.steps.map((s) => ({ label: stepLabel(s), ...stepAccess(s) }));
  return { tensors, steps, aliases: tg.aliases, alignment };
}

export function stepAccess(s: TrainStep): { reads: string[]; writes: string[] } {
  switch (s.kind) {
    case 'forward': return { reads: s.node.inputs, writes: [s.node.output] };
    case 'save': return { reads: [s.from], writes: [s.to] };
    case 'mask': return { reads: [s.from], writes: [s.to] };
    case 'loss': return { reads: [s.logits], writes: [s.grad] };
    case 'clamp_backward': return { reads: [s.grad, s.source], writes: [s.grad] };
    case 'backward_input': return { reads: [s.gradOut, ...(s.saved ? [s.saved] : []), ...(s.accumulate ? [s.gradIn] : [])], writes: [s.gradIn, ...(s.inPlaceScratch ? [s.inPlaceScratch] : [])] };
    case 'grad_copy': return { reads: [s.src, ...(s.accumulate ? [s.dst] : [])], writes: [s.dst] };
    case 'update_weight': return { reads: [s.saved, s.gradOut], writes: [] };
    case 'update_bias': return { reads: [s.gradOut], writes: [] };
    case 'tile_copy': return { reads: [s.from], writes: [s.to] };
    case 'tile_place': return { reads: [s.from], writes: [s.to] };
    case 'tile_forward': return { reads: s.node.inputs.map((t) => s.buffers[t] ?? t), writes: [s.buffers[s.node.output] ?? s.node.output] };
  }
}

export function stepLabel(s: TrainStep): string {
  switch (s.kind) {
    case 'forward': return `forward ${s.node.name}`;
    case 'save': return `save ${s.layer}`;
    case 'mask': return `mask ${s.from}`;
    case 'loss': return 'loss';
    case 'clamp_backward': return `clamp backward ${s.grad}`;
    case 'backward_input': return `backward ${s.node.name}`;
    case 'grad_copy': return `grad ${s.accumulate ? 'add' : 'copy'} ${s.dst}`;
    case 'update_weight': return `update weights ${s.node.name}`;
    case 'update_bias': return `update bias ${s.node.name}`;
    case 'tile_copy': return `tile copy ${s.to}`;
    case 'tile_place': return `tile place ${s.from}`;
    case 'tile_forward': return `forward ${s.node.name} (tile ${s.tile})`;
  }
}
export { checkBudget, parseBytes, sramPlan, masterEntries, splitWeights, RUNTIME_STATE_BYTES } from './account';
export type { SramPlan } from './account';

/** The largest total of bytes live at one step: no arena can be smaller. */
export function planLowerBound(input: PlanInput): number {
  return lowerBoundOf(lifetimesOf(input)).bytes;
}
