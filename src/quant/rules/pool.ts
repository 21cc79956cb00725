// Pooling. Average pools requantize the window sum by s_in/(s_out·window); max pooling
// and reshapes keep their input's parameters, so they need no arithmetic.
import { GlobalAvgPoolNode, PoolNode, ReshapeNode } from '../../ir/graph';
import { QAvgPool, QMaxPool, QReshape } from '../../ir/qgraph';
import { quantizeMultiplier } from '../fixedpoint';
import { tensorParams } from '../params';
import { QuantRule } from './types';

export const quantAvgPool: QuantRule<PoolNode> = (n, ctx) => {
  const x = ctx.tensor(n.inputs[0]);
  const y = tensorParams(n.output, ctx.shape(n.output), ctx.calibrated(n.output));
  const m = quantizeMultiplier(x.scale / (y.scale * n.kernel[0] * n.kernel[1]));
  const node: QAvgPool = {
    op: 'avgpool', name: n.name, from: n.from, inputs: n.inputs, output: n.output,
    kernel: n.kernel, strides: n.strides, pads: n.pads, countIncludePad: n.countIncludePad,
    multiplier: m.multiplier, shift: m.shift,
  };
  return { node, output: y };
};

export const quantGap: QuantRule<GlobalAvgPoolNode> = (n, ctx) => {
  const x = ctx.tensor(n.inputs[0]);
  const [, , h, w] = ctx.shape(n.inputs[0]);
  const y = tensorParams(n.output, ctx.shape(n.output), ctx.calibrated(n.output));
  const m = quantizeMultiplier(x.scale / (y.scale * h * w));
  const node: QAvgPool = {
    op: 'gap', name: n.name, from: n.from, inputs: n.inputs, output: n.output,
    kernel: [h, w], strides: [1, 1], pads: [0, 0, 0, 0], countIncludePad: true,
    multiplier: m.multiplier, shift: m.shift,
  };
  return { node, output: y };
};

export const quantMaxPool: QuantRule<PoolNode> = (n, ctx) => {
  const x = ctx.tensor(n.inputs[0]);
  const node: QMaxPool = {
    op: 'maxpool', name: n.name, from: n.from, inputs: n.inputs, output: n.output,
    kernel: n.kernel, strides: n.strides, pads: n.pads,
  };
  return { node, output: { ...x, name: n.output, shape: ctx.shape(n.output) } };
};

export const quantReshape: QuantRule<ReshapeNode> = (n, ctx) => {
  const x = ctx.tensor(n.inputs[0]);
  const node: QReshape = { op: 'reshape', name: n.name, from: n.from, inputs: n.inputs, output: n.output };
  return { node, output: { ...x, name: n.output, shape: ctx.shape(n.output) } };
};
