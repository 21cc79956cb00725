// Add, standalone activation and reshape pass the gradient through unchanged (after the
// clamp), so their input gradients alias the output's where nothing else needs it.
import { QAct, QAdd, QReshape } from '../../ir/qgraph';
import { TrainStep } from '../../ir/train';
import { GradContext, GradRule } from './types';

export const addGrad: GradRule<QAdd> = {
  keeps: () => [],
  backward(n, ctx) {
    const steps: TrainStep[] = [...ctx.clampBackward(n)];
    const g = ctx.gradOf(n.output);
    const needs = n.inputs.filter((t) => ctx.requiresGrad(t));
    // Every input but the last gets a copy; the last may take the buffer itself.
    needs.forEach((t, i) => steps.push(...ctx.contribute(t, g, i === needs.length - 1)));
    return steps;
  },
};

export const actGrad: GradRule<QAct> = {
  keeps: () => [],
  backward(n, ctx) {
    const steps: TrainStep[] = [...ctx.clampBackward(n)];
    if (ctx.requiresGrad(n.inputs[0])) steps.push(...ctx.contribute(n.inputs[0], ctx.gradOf(n.output), true));
    return steps;
  },
};

export const reshapeGrad: GradRule<QReshape> = {
  keeps: () => [],
  backward(n, ctx) {
    return ctx.requiresGrad(n.inputs[0]) ? ctx.contribute(n.inputs[0], ctx.gradOf(n.output), true) : [];
  },
};
