// Instructions per training step of a schedule, priced per kernel call from the counts the
// speed bench measured in QEMU (analyze/kernel-costs.ts), with per-kind rates for calls it
// has not measured. Used by the tiling choice (schedule.ts) and by the analysis' costs.
import { measuredCost } from '../analyze/kernel-costs';
import { convKind, QGraph, QNode } from '../ir/qgraph';
import { TrainGraph, TrainStep } from '../ir/train';

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

/** The runtime kernel a step calls and the features its measured cost is fitted on (the
 * same the speed bench records: the layer's MACs, the updated share of them for weight
 * updates, and the layer's output elements). null: not priced by kernel. */
function kernelCall(s: TrainStep, q: QGraph): { kernel: string; macs: number; elements: number } | null {
  const family = (n: QNode): string | null => {
    if (n.op === 'gemm') return 'tt_fc';
    if (n.op !== 'conv') return null;
    return { depthwise: 'tt_depthwise', pointwise: 'tt_pointwise', regular: 'tt_conv' }[convKind(n, q.tensors[n.inputs[0]].shape[1])];
  };
  const layer = (n: QNode) => ({ macs: nodeMacs(n, q), elements: elems(q.tensors[n.output].shape) });
  switch (s.kind) {
    case 'forward': {
      const f = family(s.node);
      const forward: Record<string, string> = { tt_fc: 'tt_fully_connected_s8', tt_depthwise: 'tt_depthwise_conv_s8', tt_pointwise: 'tt_pointwise_conv_s8', tt_conv: 'tt_conv_s8' };
      const other: Record<string, string> = { add: 'tt_add_s8', gap: 'tt_global_avgpool_s8', avgpool: 'tt_avgpool_s8', maxpool: 'tt_maxpool_s8', act: 'tt_requant_s8' };
      const k = f ? forward[f] : other[s.node.op];
      return k ? { kernel: k, ...layer(s.node) } : null;
    }
    case 'backward_input': {
      const f = family(s.node);
      if (!f) return null;
      return { kernel: s.inPlaceScratch ? `${f}_backward_input_inplace_f32` : `${f}_backward_input_f32`, ...layer(s.node) };
    }
    case 'update_weight': {
      const f = family(s.node);
      const ratio = s.layer.channels.length / Math.max(1, s.node.op === 'conv' ? s.node.weightShape[1] * s.node.group : s.node.weightShape[1]);
      return f ? { kernel: `${f}_update_s8`, macs: nodeMacs(s.node, q) * ratio, elements: elems(q.tensors[s.node.output].shape) } : null;
    }
    case 'update_bias': return { kernel: 'tt_bias_update_s32', ...layer(s.node) };
    // Two levels recompute D's backward per channel of P's input, and a pool source has no
    // measured stream: priced by the rates below.
    case 'stream_backward': return s.next || s.source.op !== 'conv' ? null : { kernel: 'tt_stream_backward_f32', ...layer(s.source) };
    default: return null;
  }
}

function stepCost(s: TrainStep, q: QGraph): number {
  const call = kernelCall(s, q);
  const measured = call ? measuredCost(call.kernel, call.macs, call.elements) : undefined;
  return measured ?? rateCost(s, q);
}

function rateCost(s: TrainStep, q: QGraph): number {
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
      const x = elems(q.tensors[s.source.inputs[0]].shape);
      const ratio = s.weight ? s.weight.layer.channels.length / Math.max(1, s.producer.weightShape[1]) : 0;
      const first = RATES.backwardMac * (nodeMacs(s.source, q) + (s.gradIn ? nodeMacs(s.producer, q) : 0)) + RATES.updateMac * nodeMacs(s.producer, q) * ratio + RATES.element * x * 2;
      if (!s.next) return first;
      const n = s.next;
      const passes = q.tensors[s.producer.inputs[0]].shape[1] + 1;
      const qRatio = n.weight ? n.weight.layer.channels.length / Math.max(1, n.node.weightShape[1]) : 0;
      return first + RATES.backwardMac * (nodeMacs(s.source, q) * passes + nodeMacs(s.producer, q))
        + RATES.updateMac * nodeMacs(n.node, q) * qRatio + RATES.element * (x * passes + 2 * elems(q.tensors[n.node.output].shape));
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
