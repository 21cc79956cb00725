// Conv and Gemm: input gradient with the pre-update weights, then fused weight and bias
// updates. Depthwise/pointwise/regular differ only in the kernel codegen picks.
import { QConv, QGemm } from '../../ir/qgraph';
import { TrainStep } from '../../ir/train';
import { GradContext, GradRule } from './types';

/** Depthwise, stride 1, same plane in and out: the input gradient can overwrite dy. */
function inPlaceDepthwise(n: QConv | QGemm, ctx: GradContext, x: string): boolean {
  if (n.op !== 'conv' || n.group <= 1 || n.weightShape[0] !== n.group || n.strides[0] !== 1 || n.strides[1] !== 1) return false;
  const u = ctx.update(n);
  return !(u && u.weightRatio > 0) && ctx.requiresGrad(x);
}

function linearBackward(n: QConv | QGemm, ctx: GradContext): TrainStep[] {
  const steps: TrainStep[] = [...ctx.clampBackward(n)];
  const gradOut = ctx.gradOf(n.output);
  const x = n.inputs[0];
  if (inPlaceDepthwise(n, ctx, x) && ctx.shareInto(x, gradOut)) {
    // The bias update reads dy, so it runs first; the weights are not updated here.
    const u = ctx.update(n);
    if (u && u.bias) steps.push({ kind: 'update_bias', node: n as QConv, layer: u, gradOut });
    const [, , h, w] = ctx.shapeOf(x);
    const scratch = ctx.scratch(`scratch:${n.name}`, h * w);
    steps.push({ kind: 'backward_input', node: n, gradOut, gradIn: gradOut, accumulate: false, inPlaceScratch: scratch });
    return steps;
  }
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
