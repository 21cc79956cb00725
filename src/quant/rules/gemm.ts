// Fully connected: the same scheme as conv, one output channel per row of W[N,K].
import { GemmNode } from '../../ir/graph';
import { QGemm } from '../../ir/qgraph';
import { activationClamp, activationRange, quantizeBias, quantizeWeights, tensorParams } from '../params';
import { requantArrays } from './conv';
import { QuantRule } from './types';

export const quantGemm: QuantRule<GemmNode> = (n, ctx) => {
  const x = ctx.tensor(n.inputs[0]);
  const y = tensorParams(n.output, ctx.shape(n.output), activationRange(ctx.calibrated(n.output), n.act));
  const { q, scale } = quantizeWeights(n.weight, n.weightShape[0], ctx.headroom(n.name));
  const { multiplier, shift } = requantArrays(x.scale, scale, y.scale);
  const [actMin, actMax] = activationClamp(n.act, y);
  const node: QGemm = {
    op: 'gemm', name: n.name, from: n.from, inputs: n.inputs, output: n.output,
    weight: q, weightShape: n.weightShape, weightScale: scale,
    bias: quantizeBias(n.bias, x.scale, scale), multiplier, shift, act: n.act, actMin, actMax,
  };
  return { node, output: y };
};
