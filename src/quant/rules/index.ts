// One quantization rule per canonical op, found by the op's name.
import { Node, OpKind } from '../../ir/graph';
import { quantAct } from './act';
import { quantAdd } from './add';
import { quantConv, quantGemm } from './conv';
import { quantAvgPool, quantGap, quantMaxPool, quantReshape } from './pool';
import { QuantContext, QuantResult } from './types';

type AnyRule = (n: Node, ctx: QuantContext) => QuantResult;
type RuleTable = { [K in OpKind]: (n: Extract<Node, { op: K }>, ctx: QuantContext) => QuantResult };

const table: RuleTable = {
  conv: quantConv,
  gemm: quantGemm,
  add: quantAdd,
  act: quantAct,
  avgpool: quantAvgPool,
  maxpool: quantMaxPool,
  gap: quantGap,
  reshape: quantReshape,
};

export function quantRule(op: OpKind): AnyRule {
  return table[op] as AnyRule;
}
export type { QuantContext, QuantResult } from './types';
