// One C emitter per quantized op, found by the op's name.
import { QNode, QOpKind } from '../../ir/qgraph';
import { emitConv } from './conv';
import { emitAct, emitAdd, emitReshape } from './elementwise';
import { emitGemm } from './gemm';
import { emitAvgPool, emitMaxPool } from './pool';
import { EmitContext, Emitted } from './types';

type EmitterTable = { [K in QOpKind]: (n: Extract<QNode, { op: K }>, ctx: EmitContext) => Emitted };

const table: EmitterTable = {
  conv: emitConv,
  gemm: emitGemm,
  add: emitAdd,
  act: emitAct,
  avgpool: emitAvgPool,
  gap: emitAvgPool,
  maxpool: emitMaxPool,
  reshape: emitReshape,
};

export function emitterFor(op: QOpKind): (n: QNode, ctx: EmitContext) => Emitted {
  return table[op] as (n: QNode, ctx: EmitContext) => Emitted;
}
export type { CArray, CParams, EmitContext, Emitted } from './types';
