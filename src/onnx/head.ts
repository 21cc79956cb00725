// A new task head: the classifier (the gemm or 1x1 conv that produces the logits) is
// replaced by a freshly initialized one with `classes` outputs, as PyTorch's Linear
// initializes it (uniform ±1/sqrt(fan_in)), from a seeded generator.
import { mulberry32 } from '../numeric';
import { Graph, Node } from '../ir/graph';
import { TinytrainError } from '../errors';

export interface HeadReplacement { graph: Graph; node: string; previousClasses: number }

export function replaceHead(g: Graph, classes: number, seed: number): HeadReplacement {
  if (!Number.isInteger(classes) || classes < 2 || classes > 65535) {
    throw new TinytrainError(`--classes ${classes}: give an integer from 2 to 65535`, 'E_OPTION');
  }
  // Walk back from the logits through reshapes to the classifier.
  const producer = new Map<string, Node>(g.nodes.map((n) => [n.output, n]));
  let t = g.output;
  let head = producer.get(t);
  while (head && head.op === 'reshape') { t = head.inputs[0]; head = producer.get(t); }
  if (!head || !(head.op === 'gemm' || (head.op === 'conv' && head.weightShape[2] === 1 && head.weightShape[3] === 1 && head.group === 1))) {
    throw new TinytrainError(`--classes needs the logits to come from a Linear/Gemm or 1x1 conv classifier; '${g.output}' comes from ${head ? `${head.op} '${head.name}'` : 'no op'}`, 'E_HEAD');
  }
  const fanIn = head.op === 'gemm' ? head.weightShape[1] : head.weightShape[1];
  const consumers = g.nodes.filter((n) => n.inputs.includes(head.output));
  if (head.output !== g.output && consumers.some((n) => n.op !== 'reshape')) {
    throw new TinytrainError(`--classes: the classifier '${head.name}' output is used by other ops`, 'E_HEAD');
  }
  const rnd = mulberry32(seed);
  const bound = 1 / Math.sqrt(fanIn);
  const weight = new Float32Array(classes * fanIn).map(() => (rnd() * 2 - 1) * bound);
  const bias = new Float32Array(classes).map(() => (rnd() * 2 - 1) * bound);
  const previousClasses = head.weightShape[0];
  const replaced: Node = head.op === 'gemm'
    ? { ...head, weight, bias, weightShape: [classes, fanIn] }
    : { ...head, weight, bias, weightShape: [classes, fanIn, 1, 1] };
  const shapes: Record<string, number[]> = { ...g.shapes };
  // Every tensor from the classifier to the logits changes its class dimension.
  for (const name of [head.output, ...g.nodes.filter((n) => n.op === 'reshape').map((n) => n.output)]) {
    if (name === head.output || isDownstream(g, head.output, name)) shapes[name] = [shapes[name][0], classes, ...shapes[name].slice(2)];
  }
  return {
    graph: {
      ...g,
      nodes: g.nodes.map((n) => (n === head ? replaced : n)),
      shapes,
      notes: [...g.notes, `classifier '${head.name}' replaced: ${previousClasses} -> ${classes} classes, initialized uniform ±1/sqrt(${fanIn}) with seed ${seed}`],
    },
    node: head.name,
    previousClasses,
  };
}

function isDownstream(g: Graph, from: string, to: string): boolean {
  let t = to;
  for (;;) {
    const p = g.nodes.find((n) => n.output === t);
    if (!p || p.op !== 'reshape') return false;
    if (p.inputs[0] === from) return true;
    t = p.inputs[0];
  }
}

