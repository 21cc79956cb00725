// memory/ stage: schedule + tensor sizes -> Plan (pure).
import { QGraph } from '../ir/qgraph';
import { PlanInput, PlanTensor } from './types';
export { planMemory, lowerBound } from './planner';
export { resolveAlias } from './lifetimes';
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
