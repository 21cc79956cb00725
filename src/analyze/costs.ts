// What a scheme costs: SRAM from the real schedule choices and memory planner (the same
// calls gen makes), and instructions per training step from the multiply-accumulates of
// each step times a per-kind rate measured in QEMU on the portable kernels.
import { Board, hasDsp } from '../boards';
import { QGraph, QNode } from '../ir/qgraph';
import { Scheme } from '../ir/scheme';
import { Rounding, TrainGraph, TrainStep } from '../ir/train';
import { sramPlan } from '../memory';
import { chooseSchedule, estimateSchedule } from '../pipeline/schedule';

const elems = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/** Multiply-accumulates of one forward op. */
export function nodeMacs(n: QNode, q: QGraph): number {
  if (n.op === 'conv') {
    const [, ipg, kh, kw] = n.weightShape;
    return elems(q.tensors[n.output].shape) * ipg * kh * kw;
  }
  if (n.op === 'gemm') return elems(n.weightShape);
  return 0;
}

// Instructions per multiply-accumulate (or per element) of the portable kernels on the
// Cortex-M7, fitted to QEMU -icount counts of the bundled model (issue 3 note): inference
// 17.14 M; training steps full 41.56 M, bias 27.98 M, last:2 18.38 M, bias+last:2 29.09 M.
// The fit predicts those within 1%. Issue 7 replaces it with per-kernel measurements.
export const RATES = { forwardMac: 13.2, backwardMac: 8.2, updateMac: 10.8, element: 8 };

function stepCost(s: TrainStep, q: QGraph): number {
  switch (s.kind) {
    case 'forward': return s.node.op === 'conv' || s.node.op === 'gemm' ? RATES.forwardMac * nodeMacs(s.node, q) : RATES.element * elems(q.tensors[s.node.output].shape);
    case 'tile_forward': return RATES.forwardMac * nodeMacs(s.node, q) * elems(s.shapes[s.node.output] ?? [0]) / Math.max(1, elems(q.tensors[s.node.output].shape));
    case 'backward_input': return (s.node.op === 'conv' || s.node.op === 'gemm' ? RATES.backwardMac * nodeMacs(s.node, q) : 0) + RATES.element * elems(q.tensors[s.node.inputs[0]].shape);
    case 'update_weight': {
      const ratio = s.layer.channels.length / Math.max(1, s.node.op === 'conv' ? s.node.weightShape[1] * s.node.group : s.node.weightShape[1]);
      return RATES.updateMac * nodeMacs(s.node, q) * ratio;
    }
    case 'update_bias': return RATES.element * elems(q.tensors[s.node.output].shape);
    case 'stream_backward': {
      const x = elems(q.tensors[s.dw.inputs[0]].shape);
      const ratio = s.weight ? s.weight.layer.channels.length / Math.max(1, s.producer.weightShape[1]) : 0;
      return RATES.backwardMac * (nodeMacs(s.dw, q) + (s.gradIn ? nodeMacs(s.producer, q) : 0)) + RATES.updateMac * nodeMacs(s.producer, q) * ratio + RATES.element * x * 2;
    }
    case 'save': return RATES.element * s.channels.length * s.plane;
    case 'mask': case 'clamp_backward': case 'grad_copy': return RATES.element * s.elements;
    case 'loss': return RATES.element * 64;
    case 'tile_copy': case 'tile_place': return RATES.element * s.channels * s.h * s.w;
  }
}

/** Estimated instructions per training step (forward, loss, backward, updates). */
export function trainStepInstructions(tg: TrainGraph): number {
  return Math.round(tg.steps.reduce((a, s) => a + stepCost(s, tg.qgraph), 0));
}

export interface SchemeCost { sramBytes: number; arenaBytes: number; instructions: number; tiled: boolean }

/**
 * SRAM in total (arena + trainable + state + stack reserve) with gen's schedule choices.
 * exact: plan the offsets as gen does; otherwise take the arena at its lower bound (what
 * the planner reaches on every zoo model), fast enough for a search.
 */
export function schemeCost(q: QGraph, scheme: Scheme, board: Board, rounding: Rounding, budget: number | undefined, exact = true): SchemeCost {
  const limit = Math.min(budget ?? Infinity, board.memory.sram.size);
  const arenaLimit = (tg: TrainGraph): number => limit - sramPlan(tg, 0, board.stack_bytes).total;
  const c = exact
    ? (({ train, plan }) => ({ train, arenaBytes: plan.arenaBytes }))(chooseSchedule(q, scheme, { rounding, tiling: 'auto', dsp: hasDsp(board) }, arenaLimit))
    : estimateSchedule(q, scheme, { rounding, tiling: 'auto', dsp: hasDsp(board) }, arenaLimit);
  const sram = sramPlan(c.train, c.arenaBytes, board.stack_bytes);
  return { sramBytes: sram.total, arenaBytes: c.arenaBytes, instructions: trainStepInstructions(c.train), tiled: !!c.train.tiling };
}
