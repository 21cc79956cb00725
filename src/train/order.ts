// The order of independent forward ops (the branches before a residual add or a join).
// Backward runs in the reverse order, so one forward order fixes the whole schedule. This
// gives the candidate orders; the pipeline keeps the one whose plan is smallest.
import { QGraph, QNode } from '../ir/qgraph';

const bytesOf = (g: QGraph, t: string): number => g.tensors[t].shape.reduce((a, b) => a * b, 1);

/**
 * Greedy memory-aware topological order: among the ops whose inputs exist, run the one
 * that adds the fewest live bytes (its output less the inputs it is the last reader of),
 * ties broken by the model's own order. Returns null when it equals the model's order.
 */
export function memoryAwareOrder(g: QGraph): QGraph | null {
  const index = new Map(g.nodes.map((n, i) => [n, i]));
  const readers = new Map<string, number>();
  for (const n of g.nodes) for (const t of new Set(n.inputs)) readers.set(t, (readers.get(t) ?? 0) + 1);
  const ready = new Set<string>([g.input]);
  const pending = new Set(g.nodes);
  const order: QNode[] = [];
  while (pending.size) {
    let best: QNode | undefined;
    let bestDelta = Infinity;
    for (const n of pending) {
      if (!n.inputs.every((t) => ready.has(t))) continue;
      const freed = [...new Set(n.inputs)].filter((t) => readers.get(t) === 1 && t !== g.input).reduce((a, t) => a + bytesOf(g, t), 0);
      const delta = bytesOf(g, n.output) - freed;
      if (delta < bestDelta || (delta === bestDelta && best && index.get(n)! < index.get(best)!)) {
        best = n;
        bestDelta = delta;
      }
    }
    if (!best) return null; // not a DAG over known tensors: keep the model's order
    pending.delete(best);
    order.push(best);
    ready.add(best.output);
    for (const t of new Set(best.inputs)) readers.set(t, (readers.get(t) ?? 1) - 1);
  }
  if (order.every((n, i) => n === g.nodes[i])) return null;
  return { ...g, nodes: order };
}
