// Residual add with TFLite's int8 Add parameters: both inputs are brought to a shared
// scale 2·max(s1,s2) with 20 bits of headroom, summed, then requantized to the output.
import { AddNode } from '../../ir/graph';
import { QAdd } from '../../ir/qgraph';
import { quantizeMultiplier } from '../fixedpoint';
import { activationClamp, activationRange, tensorParams } from '../params';
import { QuantRule } from './types';

const LEFT_SHIFT = 20;

export const quantAdd: QuantRule<AddNode> = (n, ctx) => {
  const a = ctx.tensor(n.inputs[0]);
  const b = ctx.tensor(n.inputs[1]);
  const y = tensorParams(n.output, ctx.shape(n.output), activationRange(ctx.calibrated(n.output), n.act));
  const twiceMax = 2 * Math.max(a.scale, b.scale);
  const m1 = quantizeMultiplier(a.scale / twiceMax);
  const m2 = quantizeMultiplier(b.scale / twiceMax);
  const mo = quantizeMultiplier(twiceMax / ((1 << LEFT_SHIFT) * y.scale));
  const [actMin, actMax] = activationClamp(n.act, y);
  const node: QAdd = {
    op: 'add', name: n.name, from: n.from, inputs: n.inputs, output: n.output,
    leftShift: LEFT_SHIFT,
    inputMultiplier: [m1.multiplier, m2.multiplier], inputShift: [m1.shift, m2.shift],
    outputMultiplier: mo.multiplier, outputShift: mo.shift, act: n.act, actMin, actMax,
  };
  return { node, output: y };
};
