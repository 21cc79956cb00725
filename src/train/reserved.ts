// The train stage names the buffers it adds after what they belong to: grad:<tensor>,
// mask:<tensor>, save:<node>, scratch:<node>, im2col:<node>, plane:<node>, tile<k>:<tensor>. An ONNX
// tensor may be called anything, including "grad:logits", so graph tensors that look like
// such a name are renamed first: onnx:<name>. Only names with a reserved prefix change
// ("onnx:" is reserved too), which keeps the renaming one to one.
import { QGraph } from '../ir/qgraph';

const RESERVED = /^(grad|save|mask|scratch|im2col|plane|tile\d*|onnx):/;

export function escapeReservedNames(g: QGraph): QGraph {
  const names = Object.keys(g.tensors);
  if (!names.some((t) => RESERVED.test(t))) return g;
  const map = (t: string): string => (RESERVED.test(t) ? `onnx:${t}` : t);
  return {
    ...g,
    input: map(g.input),
    output: map(g.output),
    nodes: g.nodes.map((n) => ({ ...n, inputs: n.inputs.map(map), output: map(n.output) })),
    tensors: Object.fromEntries(Object.entries(g.tensors).map(([k, t]) => [map(k), { ...t, name: map(t.name) }])),
    notes: [...g.notes, 'tensors named like a training buffer (grad:, mask:, save:, ...) are called onnx:<name> in the plan'],
  };
}
