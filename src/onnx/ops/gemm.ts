// Gemm (transB either way, alpha/beta folded into the constants) and MatMul with a constant
// [K,N] weight; both become the IR's gemm with weight [N,K].
import { GemmNode, Shape } from '../../ir/graph';
import { TinytrainError } from '../../errors';
import { attrFloat, attrInt, optInput } from '../attrs';
import { ConstTensor, nodeError, OnnxNode, OpRule } from '../types';
import { actIn, base, constIn, fmtShape } from './common';

/** [K,N] row-major -> [N,K] row-major, times `scale`. */
function transposeKN(b: ConstTensor, scale: number): Float32Array {
  const [k, nOut] = b.dims;
  const w = new Float32Array(nOut * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < nOut; j++) w[j * k + i] = b.values[i * nOut + j] * scale;
  return w;
}

function gemmInput(n: OnnxNode, ctx: Parameters<OpRule['lower']>[1]) {
  const x = actIn(n, ctx, 0);
  if (x.shape.length !== 2 || x.shape[0] !== 1) {
    throw nodeError(n, `input '${x.name}' has shape ${fmtShape(x.shape)}; only 2-D [1,K] inputs are supported (add a Flatten)`, 'E_SHAPE');
  }
  return x;
}

export const gemmRule: OpRule = {
  lower(n, ctx) {
    const x = gemmInput(n, ctx);
    if (attrInt(n, 'transA', 0) !== 0) throw nodeError(n, 'transA=1 is not supported');
    const alpha = attrFloat(n, 'alpha', 1), beta = attrFloat(n, 'beta', 1);
    const b = constIn(n, ctx, 1, 'weight');
    if (b.dims.length !== 2) throw nodeError(n, `weight has shape ${fmtShape(b.dims)}, expected 2-D`, 'E_SHAPE');
    const transB = attrInt(n, 'transB', 0) !== 0;
    const [nOut, k] = transB ? b.dims : [b.dims[1], b.dims[0]];
    if (k !== x.shape[1]) throw nodeError(n, `weight ${fmtShape(b.dims)} (transB=${transB ? 1 : 0}) does not match input ${fmtShape(x.shape)}`, 'E_SHAPE');
    const weight = transB ? Float32Array.from(b.values, (v) => v * alpha) : transposeKN(b, alpha);
    const bias = new Float32Array(nOut);
    if (optInput(n, 2)) {
      const c = constIn(n, ctx, 2, 'bias');
      // C broadcasts unidirectionally to [1,N]: scalar, [N], [1,N].
      const okShape = c.values.length === 1 || (c.values.length === nOut && c.dims[c.dims.length - 1] === nOut);
      if (!okShape) throw nodeError(n, `bias of shape ${fmtShape(c.dims)} does not broadcast to [1,${nOut}]`, 'E_SHAPE');
      for (let j = 0; j < nOut; j++) bias[j] = beta * c.values[c.values.length === 1 ? 0 : j];
    }
    const node: GemmNode = { op: 'gemm', ...base(n, [x.name]), weight, weightShape: [nOut, k], bias, act: { kind: 'none' } };
    return { kind: 'node', node };
  },
};

export const matMulRule: OpRule = {
  lower(n, ctx) {
    if (ctx.constant(n.inputs[0])) {
      throw nodeError(n, 'MatMul with a constant first operand is not supported (only x[1,K] · W[K,N])', 'E_UNSUPPORTED_PATTERN');
    }
    const x = gemmInput(n, ctx);
    const b = constIn(n, ctx, 1, 'weight');
    if (b.dims.length !== 2 || b.dims[0] !== x.shape[1]) {
      throw nodeError(n, `weight ${fmtShape(b.dims)} does not match input ${fmtShape(x.shape)} (need [K,N])`, 'E_SHAPE');
    }
    const nOut = b.dims[1];
    const node: GemmNode = {
      op: 'gemm', ...base(n, [x.name]), weight: transposeKN(b, 1), weightShape: [nOut, b.dims[0]],
      bias: new Float32Array(nOut), act: { kind: 'none' },
    };
    return { kind: 'node', node };
  },
};

export function gemmShape(node: GemmNode, x: Shape): Shape {
  if (x.length !== 2 || x[0] !== 1 || x[1] !== node.weightShape[1]) {
    throw new TinytrainError(`node '${node.name}' (gemm): input ${fmtShape(x)} does not match weight ${fmtShape(node.weightShape)}`, 'E_SHAPE');
  }
  return [1, node.weightShape[0]];
}
