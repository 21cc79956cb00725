// AveragePool, MaxPool, GlobalAveragePool, and ReduceMean over the spatial axes (2,3).
import { GlobalAvgPoolNode, PoolNode, Shape } from '../../ir/graph';
import { TinytrainError } from '../../errors';
import { attrInt, attrInts, optInput } from '../attrs';
import { intList } from '../tensor';
import { nodeError, OpRule } from '../types';
import { actIn, base, constIn, fmtShape, Pads4, spatialAttrs, windowOut } from './common';

function lowerPool(op: 'avgpool' | 'maxpool'): OpRule {
  return {
    lower(n, ctx) {
      const x = actIn(n, ctx, 0, 4);
      const ks = attrInts(n, 'kernel_shape');
      if (!ks || ks.length !== 2) throw nodeError(n, 'kernel_shape must have 2 values (2-D pooling)');
      if (ks.some((k) => !(k >= 1))) throw nodeError(n, `kernel_shape ${fmtShape(ks)} must be positive`, 'E_SHAPE');
      const kernel: [number, number] = [ks[0], ks[1]];
      const { strides, pads } = spatialAttrs(n, [x.shape[2], x.shape[3]], kernel);
      let countIncludePad = op === 'avgpool' && attrInt(n, 'count_include_pad', 0) === 1;
      if (attrInt(n, 'ceil_mode', 0) === 1) {
        // ceil_mode adds windows that hang over the bottom/right edge; express them as
        // extra bottom/right padding that the divisor/max ignores.
        const extra = ceilExtraPads(x.shape[2], x.shape[3], kernel, strides, pads);
        if (extra[0] > 0 || extra[1] > 0) {
          if (countIncludePad) {
            throw nodeError(n, 'ceil_mode=1 with count_include_pad=1 is not supported when ceil_mode changes the output size');
          }
          pads[2] += extra[0];
          pads[3] += extra[1];
        }
      }
      if (op === 'avgpool' && pads.every((p) => p === 0)) countIncludePad = true;  // same result, constant divisor
      const node: PoolNode = { op, ...base(n, [x.name]), kernel, strides, pads, countIncludePad };
      return { kind: 'node', node };
    },
  };
}

/** Extra bottom/right padding that makes floor-mode sizes equal ceil-mode sizes (ONNX/PyTorch rule:
 *  the last window must start inside the input or the top/left padding). */
function ceilExtraPads(h: number, w: number, k: [number, number], s: [number, number], p: Pads4): [number, number] {
  const dims = [h, w];
  const extra: number[] = [];
  for (let d = 0; d < 2; d++) {
    const span = dims[d] + p[d] + p[d + 2] - k[d];
    let out = Math.ceil(span / s[d]) + 1;
    if ((out - 1) * s[d] >= dims[d] + p[d]) out--;
    extra.push(Math.max(0, (out - 1) * s[d] + k[d] - (dims[d] + p[d] + p[d + 2])));
  }
  return [extra[0], extra[1]];
}

export const averagePoolRule = lowerPool('avgpool');
export const maxPoolRule = lowerPool('maxpool');

export function poolShape(node: PoolNode, x: Shape): Shape {
  const bad = (why: string): TinytrainError => new TinytrainError(`node '${node.name}' (${node.from.join('+')}): ${why}`, 'E_SHAPE');
  if (x.length !== 4) throw bad(`input ${fmtShape(x)} is not 4-D`);
  // A window made only of padding has no max and no (count-excluding) average.
  if (node.pads[0] >= node.kernel[0] || node.pads[2] >= node.kernel[0] || node.pads[1] >= node.kernel[1] || node.pads[3] >= node.kernel[1]) {
    throw bad(`pads ${fmtShape(node.pads)} must be smaller than the kernel ${fmtShape(node.kernel)}`);
  }
  const [ho, wo] = windowOut(x[2], x[3], node.kernel, node.strides, node.pads);
  if (ho < 1 || wo < 1) throw bad(`kernel ${fmtShape(node.kernel)} does not fit input ${fmtShape(x)}`);
  return [1, x[1], ho, wo];
}

export const globalAveragePoolRule: OpRule = {
  lower(n, ctx) {
    const x = actIn(n, ctx, 0, 4);
    const node: GlobalAvgPoolNode = { op: 'gap', ...base(n, [x.name]) };
    return { kind: 'node', node };
  },
};

export const reduceMeanRule: OpRule = {
  lower(n, ctx) {
    const x = actIn(n, ctx, 0);
    // axes: attribute up to opset 17, optional input from opset 18.
    const axesIn = optInput(n, 1);
    const raw = axesIn ? intList(constIn(n, ctx, 1, 'axes')) : attrInts(n, 'axes');
    if (!raw || raw.length === 0) throw nodeError(n, 'ReduceMean over all axes is not supported (only axes [2,3])');
    const axes = raw.map((a) => (a < 0 ? a + x.shape.length : a)).sort();
    if (x.shape.length !== 4 || axes.length !== 2 || axes[0] !== 2 || axes[1] !== 3) {
      throw nodeError(n, `ReduceMean over axes ${fmtShape(raw)} of ${fmtShape(x.shape)} is not supported (only axes [2,3] of a 4-D tensor)`);
    }
    const keep = attrInt(n, 'keepdims', 1);
    const node: GlobalAvgPoolNode = { op: 'gap', ...base(n, [x.name]) };
    return { kind: 'node', node, shape: keep ? [1, x.shape[1], 1, 1] : [1, x.shape[1]] };
  },
};

/** [1,C,H,W] -> [1,C,1,1], or [1,C] when the declared shape says keepdims=0. */
export function gapShape(node: GlobalAvgPoolNode, x: Shape, declared?: Shape): Shape {
  if (x.length !== 4) throw new TinytrainError(`node '${node.name}' (${node.from.join('+')}): input ${fmtShape(x)} is not 4-D`, 'E_SHAPE');
  return declared && declared.length === 2 ? [1, x[1]] : [1, x[1], 1, 1];
}
