// Conv and Gemm: per-output-channel weights, int32 bias, per-channel requant, fused clamp.
// A fully connected layer is the same scheme with one output channel per row of W[N,K].
import { ConvNode, GemmNode } from '../../ir/graph';
import { QConv, QGemm, QTensor } from '../../ir/qgraph';
import { quantizeMultiplier } from '../fixedpoint';
import { activationClamp, activationRange, quantizeBias, quantizeWeights, tensorParams } from '../params';
import { QuantContext, QuantRule } from './types';

type LinearParts = Pick<QConv, 'weight' | 'weightScale' | 'bias' | 'multiplier' | 'shift' | 'actMin' | 'actMax'>;

function quantLinear(n: ConvNode | GemmNode, ctx: QuantContext): { parts: LinearParts; output: QTensor } {
  const x = ctx.tensor(n.inputs[0]);
  const y = tensorParams(n.output, ctx.shape(n.output), activationRange(ctx.calibrated(n.output), n.act));
  const { q, scale } = quantizeWeights(n.weight, n.weightShape[0], ctx.headroom(n.name));
  const { multiplier, shift } = requantArrays(x.scale, scale, y.scale);
  const [actMin, actMax] = activationClamp(n.act, y);
  return { parts: { weight: q, weightScale: scale, bias: quantizeBias(n.bias, x.scale, scale), multiplier, shift, actMin, actMax }, output: y };
}

export const quantConv: QuantRule<ConvNode> = (n, ctx) => {
  const { parts, output } = quantLinear(n, ctx);
  const node: QConv = {
    op: 'conv', name: n.name, from: n.from, inputs: n.inputs, output: n.output, weightShape: n.weightShape,
    strides: n.strides, pads: n.pads, group: n.group, act: n.act, ...parts,
  };
  return { node, output };
};

export const quantGemm: QuantRule<GemmNode> = (n, ctx) => {
  const { parts, output } = quantLinear(n, ctx);
  const node: QGemm = { op: 'gemm', name: n.name, from: n.from, inputs: n.inputs, output: n.output, weightShape: n.weightShape, act: n.act, ...parts };
  return { node, output };
};

/** M[o] = s_x·s_w[o]/s_y, computed in double from the float32 scales (as TFLite does). */
export function requantArrays(sx: number, sw: Float32Array, sy: number): { multiplier: Int32Array; shift: Int32Array } {
  const multiplier = new Int32Array(sw.length);
  const shift = new Int32Array(sw.length);
  for (let o = 0; o < sw.length; o++) {
    const m = quantizeMultiplier((sx * sw[o]) / sy);
    multiplier[o] = m.multiplier;
    shift[o] = m.shift;
  }
  return { multiplier, shift };
}
