// Conv and Gemm: input gradient with the pre-update weights, then fused weight and bias
// updates. Depthwise/pointwise/regular differ only in the kernel codegen picks.
import { QConv, QGemm } from '../../ir/qgraph';
import { TrainStep } from '../../ir/train';
import { GradContext, GradRule } from './types';

function linearBackward(n: QConv | QGemm, ctx: GradContext): TrainStep[] {
  const steps: TrainStep[] = [...ctx.clampBackward(n)];
  const gradOut = ctx.gradOf(n.output);
  const x = n.inputs[0];
  if (ctx.requiresGrad(x)) {
    const t = ctx.target(x);
    steps.push({ kind: 'backward_input', node: n, gradOut, gradIn: t.buffer, accumulate: t.accumulate });
  }
  const u = ctx.update(n);
  if (u && u.weightRatio > 0) steps.push({ kind: 'update_weight', node: n, layer: u, saved: ctx.savedInput(n), gradOut });
  if (u && u.bias) steps.push({ kind: 'update_bias', node: n, layer: u, gradOut });
  return steps;
}

export const convGrad: GradRule<QConv> = { keeps: () => [], backward: linearBackward };
export const gemmGrad: GradRule<QGemm> = { keeps: () => [], backward: linearBackward };
