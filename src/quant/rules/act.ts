// Standalone Relu/Clip: requantize to the output's own parameters and clamp.
import { ActNode } from '../../ir/graph';
import { QAct } from '../../ir/qgraph';
import { quantizeMultiplier } from '../fixedpoint';
import { activationClamp, activationRange, tensorParams } from '../params';
import { QuantRule } from './types';

export const quantAct: QuantRule<ActNode> = (n, ctx) => {
  const x = ctx.tensor(n.inputs[0]);
  const y = tensorParams(n.output, ctx.shape(n.output), activationRange(ctx.calibrated(n.output), n.act));
  const m = quantizeMultiplier(x.scale / y.scale);
  const [actMin, actMax] = activationClamp(n.act, y);
  const node: QAct = {
    op: 'act', name: n.name, from: n.from, inputs: n.inputs, output: n.output,
    act: n.act, multiplier: m.multiplier, shift: m.shift, actMin, actMax,
  };
  return { node, output: y };
};
