// Conv: per-output-channel weights, int32 bias, per-channel requant, fused clamp.
import { ConvNode } from '../../ir/graph';
import { QConv } from '../../ir/qgraph';
import { quantizeMultiplier } from '../fixedpoint';
import { activationClamp, activationRange, quantizeBias, quantizeWeights, tensorParams } from '../params';
import { QuantRule } from './types';

export const quantConv: QuantRule<ConvNode> = (n, ctx) => {
  const x = ctx.tensor(n.inputs[0]);
  const y = tensorParams(n.output, ctx.shape(n.output), activationRange(ctx.calibrated(n.output), n.act));
  const { q, scale } = quantizeWeights(n.weight, n.weightShape[0], ctx.headroom(n.name));
  const { multiplier, shift } = requantArrays(x.scale, scale, y.scale);
  const [actMin, actMax] = activationClamp(n.act, y);
  const node: QConv = {
    op: 'conv', name: n.name, from: n.from, inputs: n.inputs, output: n.output,
    weight: q, weightShape: n.weightShape, weightScale: scale,
    bias: quantizeBias(n.bias, x.scale, scale), multiplier, shift,
    strides: n.strides, pads: n.pads, group: n.group, act: n.act, actMin, actMax,
  };
  return { node, output: y };
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
