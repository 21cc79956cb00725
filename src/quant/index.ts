// quant/ stage: Graph + calibration ranges -> QGraph (pure).
import { Graph } from '../ir/graph';
import { QGraph, QNode, QTensor } from '../ir/qgraph';
import { Range, tensorParams } from './params';
import { quantRule } from './rules';

export type CalibrationStats = Record<string, Range>;

export interface QuantizeOptions {
  /** Weight-scale headroom per node name (e.g. 4 for a freshly initialized classifier). */
  weightHeadroom?: Record<string, number>;
}

export function quantize(graph: Graph, stats: CalibrationStats, opts: QuantizeOptions = {}): QGraph {
  const tensors: Record<string, QTensor> = {};
  const inputRange = stats[graph.input.name];
  if (!inputRange) throw new Error(`calibration has no range for the model input '${graph.input.name}'`);
  tensors[graph.input.name] = tensorParams(graph.input.name, graph.input.shape, inputRange);
  const ctx = {
    tensor(name: string): QTensor {
      const t = tensors[name];
      if (!t) throw new Error(`tensor '${name}' is used before it is quantized`);
      return t;
    },
    calibrated(name: string): Range {
      const r = stats[name];
      if (!r) throw new Error(`calibration has no range for tensor '${name}'`);
      return r;
    },
    headroom(node: string): number {
      return opts.weightHeadroom?.[node] ?? 1;
    },
    shape(name: string): number[] {
      const s = graph.shapes[name];
      if (!s) throw new Error(`no shape for tensor '${name}'`);
      return s;
    },
  };
  const nodes: QNode[] = [];
  for (const n of graph.nodes) {
    const { node, output } = quantRule(n.op)(n, ctx);
    nodes.push(node);
    tensors[n.output] = output;
  }
  return { name: graph.name, input: graph.input.name, output: graph.output, nodes, tensors, notes: [...graph.notes] };
}

export { calibrate } from './calibrate';
