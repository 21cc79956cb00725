// Cutting a quantized graph where a single tensor crosses, so that the analysis computes
// the frozen layers before the first updated one once per sample (the prefix) and every
// candidate trains only the rest (the suffix). The int8 forward is exact, so the suffix fed
// with the prefix's output computes what the whole graph would.
import { QGraph, QNode } from '../ir/qgraph';

/** A boundary between nodes[at-1] and nodes[at] through which only `tensor` passes. */
export interface Cut { at: number; tensor: string }

/** Every boundary with exactly one tensor crossing it, from the input (at 0) on. */
export function cutPoints(q: QGraph): Cut[] {
  const lastRead = new Map<string, number>();
  q.nodes.forEach((n, i) => n.inputs.forEach((t) => lastRead.set(t, i)));
  const cuts: Cut[] = [{ at: 0, tensor: q.input }];
  // Tensors produced before the boundary and still read at or after it.
  const live = new Set<string>([q.input]);
  for (let at = 1; at < q.nodes.length; at++) {
    const n = q.nodes[at - 1];
    live.add(n.output);
    for (const t of [...live]) if ((lastRead.get(t) ?? -1) < at) live.delete(t);
    if (live.size === 1) cuts.push({ at, tensor: [...live][0] });
  }
  return cuts;
}

/** The deepest cut at or before node index `node`. */
export function cutBefore(cuts: Cut[], node: number): Cut {
  let best = cuts[0];
  for (const c of cuts) if (c.at <= node && c.at >= best.at) best = c;
  return best;
}

function keepTensors(q: QGraph, nodes: QNode[], input: string): QGraph['tensors'] {
  const used = new Set<string>([input, ...nodes.flatMap((n) => [...n.inputs, n.output])]);
  return Object.fromEntries(Object.entries(q.tensors).filter(([name]) => used.has(name)));
}

/** The graph from the cut on: its input is the cut tensor, with that tensor's quantization. */
export function suffixGraph(q: QGraph, cut: Cut): QGraph {
  if (cut.at === 0) return q;
  const nodes = q.nodes.slice(cut.at);
  return { ...q, input: cut.tensor, nodes, tensors: keepTensors(q, nodes, cut.tensor) };
}

/** The graph up to the cut: its output is the cut tensor. */
export function prefixGraph(q: QGraph, cut: Cut): QGraph {
  const nodes = q.nodes.slice(0, cut.at);
  return { ...q, output: cut.tensor, nodes, tensors: keepTensors(q, nodes, q.input) };
}
