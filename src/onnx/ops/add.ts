// Add (residual of two same-shaped activations, or a per-channel constant bias) and the
// constant-only arithmetic (Add/Sub/Mul/Div) that shape subgraphs sometimes contain.
import { AddNode, Shape } from '../../ir/graph';
import { TinytrainError } from '../../errors';
import { constBinary } from '../tensor';
import { BiasWork, ConstTensor, nodeError, OpRule } from '../types';
import { actIn, allConst, base, constIn, fmtShape } from './common';

const ARITH: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
};

function foldArith(n: Parameters<OpRule['lower']>[0], ctx: Parameters<OpRule['lower']>[1]) {
  const a = constIn(n, ctx, 0, 'operand'), b = constIn(n, ctx, 1, 'operand');
  return { kind: 'const' as const, values: [constBinary(a, b, ARITH[n.opType], `node '${n.name}' (${n.opType})`)] };
}

/** Sub/Mul/Div: only where every input is constant (shape arithmetic). */
export const constArithRule: OpRule = {
  lower(n, ctx) {
    if (!allConst(n, ctx)) {
      throw nodeError(n, `${n.opType} on activations is not supported (only in constant shape computations)`, 'E_UNSUPPORTED_OP');
    }
    return foldArith(n, ctx);
  },
};

/** The per-channel vector of a constant that broadcasts as a bias over x ([1,N] or [1,C,H,W]). */
function perChannel(c: ConstTensor, x: Shape): Float64Array | undefined {
  const ch = x[1];
  if (c.values.length === 1) return new Float64Array(ch).fill(c.values[0]);
  if (c.values.length !== ch) return undefined;
  // The constant must vary along axis 1 only: e.g. [N], [1,N] for 2-D; [C,1,1], [1,C,1,1] for 4-D.
  const d = [...new Array<number>(Math.max(0, x.length - c.dims.length)).fill(1), ...c.dims];
  if (d.length !== x.length) return undefined;
  return d.every((v, i) => (i === 1 ? v === ch : v === 1)) ? Float64Array.from(c.values) : undefined;
}

export const addRule: OpRule = {
  lower(n, ctx) {
    if (n.inputs.length !== 2) throw nodeError(n, `expected 2 inputs, got ${n.inputs.length}`, 'E_ONNX_CORRUPT');
    if (allConst(n, ctx)) return foldArith(n, ctx);
    const ca = ctx.constant(n.inputs[0]), cb = ctx.constant(n.inputs[1]);
    if (ca || cb) {
      const xi = ca ? 1 : 0;
      const x = actIn(n, ctx, xi);
      const c = (ca ?? cb) as ConstTensor;
      const bias = perChannel(c, x.shape);
      if (!bias) {
        throw nodeError(n, `adding a constant of shape ${fmtShape(c.dims)} to ${fmtShape(x.shape)} is not supported (only a per-channel bias)`);
      }
      const node: BiasWork = { op: 'bias', ...base(n, [x.name]), bias };
      return { kind: 'node', node };
    }
    const a = actIn(n, ctx, 0), b = actIn(n, ctx, 1);
    if (a.shape.length !== b.shape.length || a.shape.some((v, i) => v !== b.shape[i])) {
      throw nodeError(n, `Add with broadcasting (${fmtShape(a.shape)} + ${fmtShape(b.shape)}) is not supported (only same-shaped residual adds)`);
    }
    const node: AddNode = { op: 'add', ...base(n, [a.name, b.name]), act: { kind: 'none' } };
    return { kind: 'node', node };
  },
};

export function addShape(node: AddNode, a: Shape, b: Shape): Shape {
  if (a.length !== b.length || a.some((v, i) => v !== b[i])) {
    throw new TinytrainError(`node '${node.name}' (add): input shapes ${fmtShape(a)} and ${fmtShape(b)} differ`, 'E_SHAPE');
  }
  return [...a];
}
