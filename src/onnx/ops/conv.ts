// Conv: regular, depthwise and grouped 2-D convolution, dilation 1, optional bias.
import { ConvNode, Shape } from '../../ir/graph';
import { TinytrainError } from '../../errors';
import { attrInt, attrInts, optInput } from '../attrs';
import { toF32 } from '../tensor';
import { nodeError, OpRule } from '../types';
import { actIn, base, constIn, fmtShape, spatialAttrs, windowOut } from './common';

export const convRule: OpRule = {
  lower(n, ctx) {
    const x = actIn(n, ctx, 0, 4);
    const w = constIn(n, ctx, 1, 'weight');
    if (w.dims.length !== 4) throw nodeError(n, `weight has shape ${fmtShape(w.dims)}; only 2-D convolutions (4-D weights) are supported`);
    if (w.dims.some((d) => d < 1)) throw nodeError(n, `weight ${fmtShape(w.dims)} has an empty dimension`, 'E_SHAPE');
    const [o, cg, kh, kw] = w.dims;
    const ks = attrInts(n, 'kernel_shape');
    if (ks && (ks.length !== 2 || ks[0] !== kh || ks[1] !== kw)) {
      throw nodeError(n, `kernel_shape ${fmtShape(ks)} does not match weight ${fmtShape(w.dims)}`, 'E_SHAPE');
    }
    const group = attrInt(n, 'group', 1);
    const c = x.shape[1];
    if (group < 1 || c % group !== 0 || o % group !== 0 || cg * group !== c) {
      throw nodeError(n, `group ${group} with input channels ${c} and weight ${fmtShape(w.dims)} is inconsistent`, 'E_SHAPE');
    }
    const bName = optInput(n, 2);
    let bias: Float32Array = new Float32Array(o);
    if (bName) {
      const b = constIn(n, ctx, 2, 'bias');
      if (b.values.length !== o) throw nodeError(n, `bias has ${b.values.length} values, expected ${o}`, 'E_SHAPE');
      bias = toF32(b.values);
    }
    const { strides, pads } = spatialAttrs(n, [x.shape[2], x.shape[3]], [kh, kw]);
    const node: ConvNode = {
      op: 'conv', ...base(n, [x.name]), weight: toF32(w.values), weightShape: [o, cg, kh, kw],
      bias, strides, pads, group, act: { kind: 'none' },
    };
    return { kind: 'node', node };
  },
};

/** [1,C,H,W] -> [1,O,Ho,Wo]. */
export function convShape(node: ConvNode, x: Shape): Shape {
  const [o, cg, kh, kw] = node.weightShape;
  if (x.length !== 4 || x[1] !== cg * node.group) {
    throw new TinytrainError(`node '${node.name}' (conv): input ${fmtShape(x)} does not match weight ${fmtShape(node.weightShape)} with group ${node.group}`, 'E_SHAPE');
  }
  const [ho, wo] = windowOut(x[2], x[3], [kh, kw], node.strides, node.pads);
  if (ho < 1 || wo < 1) {
    throw new TinytrainError(`node '${node.name}' (conv): kernel ${kh}x${kw} does not fit input ${fmtShape(x)} with pads ${fmtShape(node.pads)}`, 'E_SHAPE');
  }
  return [1, o, ho, wo];
}
