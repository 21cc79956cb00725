// Pools: average pools spread the gradient over their windows; max pooling routes it to
// the maximal cell, which it finds again in the saved int8 input.
import { QAvgPool, QMaxPool } from '../../ir/qgraph';
import { TrainStep } from '../../ir/train';
import { GradContext, GradRule } from './types';

export const avgPoolGrad: GradRule<QAvgPool> = {
  keeps: () => [],
  backward(n, ctx) {
    if (!ctx.requiresGrad(n.inputs[0])) return [];
    const t = ctx.target(n.inputs[0]);
    return [{ kind: 'backward_input', node: n, gradOut: ctx.gradOf(n.output), gradIn: t.buffer, accumulate: t.accumulate }];
  },
};

export const maxPoolGrad: GradRule<QMaxPool> = {
  keeps: (n, ctx) => (ctx.requiresGrad(n.inputs[0]) ? [n.inputs[0]] : []),
  backward(n, ctx: GradContext): TrainStep[] {
    if (!ctx.requiresGrad(n.inputs[0])) return [];
    const t = ctx.target(n.inputs[0]);
    return [{ kind: 'backward_input', node: n, gradOut: ctx.gradOf(n.output), gradIn: t.buffer, accumulate: t.accumulate, saved: n.inputs[0] }];
  },
};
