// One gradient rule per quantized op, found by the op's name.
import { QNode, QOpKind } from '../../ir/qgraph';
import { convGrad, gemmGrad } from './conv';
import { actGrad, addGrad, reshapeGrad } from './elementwise';
import { avgPoolGrad, maxPoolGrad } from './pool';
import { GradContext, GradRule } from './types';

type RuleTable = { [K in QOpKind]: GradRule<Extract<QNode, { op: K }>> };

const table: RuleTable = {
  conv: convGrad,
  gemm: gemmGrad,
  add: addGrad,
  act: actGrad,
  avgpool: avgPoolGrad,
  gap: avgPoolGrad,
  maxpool: maxPoolGrad,
  reshape: reshapeGrad,
};

export function gradRule(op: QOpKind): GradRule<QNode> {
  return table[op] as GradRule<QNode>;
}
export type { GradContext, GradRule } from './types';
