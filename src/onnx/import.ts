// importOnnx: ONNX bytes -> canonical float Graph (see ../ir/graph.ts for the contract).
//   decode -> pick the data input (batch fixed to 1) -> keep the nodes the output needs,
//   topologically sorted -> lower each node through the op registry (constants folded,
//   shapes inferred) -> canonicalization passes -> shape re-check.
import { onnx } from 'onnx-proto';
import { Graph, Shape } from '../ir/graph';
import { TinytrainError } from '../errors';
import { decodeModel, decodeNode, defaultOpset } from './decode';
import { OP_RULES, SUPPORTED_OPS } from './ops';
import { fmtShape } from './ops/common';
import { canonicalize, WorkGraph } from './passes';
import { checkGraphShapes, nodeShape } from './shapes';
import { DT, dtypeName, tensorFromProto, toNum } from './tensor';
import { ConstTensor, LowerContext, nodeError, OnnxNode, WorkNode } from './types';

export interface ImportOptions {
  /** Model file name or bare model name: shown in messages (".onnx" added when it has no
   *  extension) and, without directory and ".onnx", used as the graph name. */
  name?: string;
}

export function importOnnx(bytes: Uint8Array, opts: ImportOptions = {}): Graph {
  // Messages name the file: a bare model name ("default") is shown as "default.onnx".
  const base = opts.name ? opts.name.replace(/^.*[\\/]/, '') : '';
  const file = !base ? 'model.onnx' : base.includes('.') ? base : `${base}.onnx`;
  try {
    return importModel(bytes, file, opts.name);
  } catch (e) {
    if (e instanceof TinytrainError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new TinytrainError(`internal error while importing ${file}: ${msg}`, 'E_INTERNAL', { cause: e });
  }
}

function importModel(bytes: Uint8Array, file: string, givenName: string | undefined): Graph {
  const model = decodeModel(bytes, file);
  const graph = model.graph as onnx.GraphProto;
  const opset = defaultOpset(model, file);
  const notes: string[] = [];

  if (graph.sparseInitializer.length > 0) {
    throw new TinytrainError(`${file}: sparse initializers are not supported`, 'E_UNSUPPORTED_ATTR');
  }
  const consts = new Map<string, ConstTensor>();
  for (const t of graph.initializer) consts.set(t.name ?? '', tensorFromProto(t, `initializer '${t.name}'`));

  const input = dataInput(graph, consts, file, notes);
  const outputName = graphOutput(graph, file);

  const nodes = graph.node.map(decodeNode);
  const order = neededInOrder(nodes, outputName, (t) => t === input.name || consts.has(t), file);

  // Lower every needed node in topological order.
  const shapes = new Map<string, Shape>([[input.name, input.shape]]);
  const ctx: LowerContext = { opset, constant: (t) => consts.get(t), shape: (t) => shapes.get(t) };
  const used = new Set<string>([outputName, ...order.flatMap((n) => n.inputs)]);
  const work: WorkNode[] = [];
  for (const n of order) {
    if (n.domain && n.domain !== 'ai.onnx') {
      throw new TinytrainError(`node '${n.name}' (${n.domain}.${n.opType}) is not supported: only default-domain ONNX ops are (${SUPPORTED_OPS.join(', ')})`, 'E_UNSUPPORTED_OP');
    }
    const rule = Object.prototype.hasOwnProperty.call(OP_RULES, n.opType) ? OP_RULES[n.opType] : undefined;
    if (!rule) {
      throw new TinytrainError(`node '${n.name}' (${n.opType}) is not supported; supported ops: ${SUPPORTED_OPS.join(', ')}`, 'E_UNSUPPORTED_OP');
    }
    const low = rule.lower(n, ctx);
    if (low.kind === 'const') {
      low.values.forEach((v, i) => { if (n.outputs[i]) consts.set(n.outputs[i], v); });
      continue;
    }
    const extra = n.outputs.slice(1).filter((t) => t && used.has(t));
    if (extra.length) throw nodeError(n, `output '${extra[0]}' is used, but only the first output of ${n.opType} is supported`);
    const ins = low.node.inputs.map((t) => shapes.get(t) as Shape);
    shapes.set(low.node.output, nodeShape(low.node, ins, low.shape));
    work.push(low.node);
  }
  if (!shapes.has(outputName)) {
    throw new TinytrainError(`${file}: output '${outputName}' is a constant, not computed from the input`, 'E_GRAPH_IO');
  }

  const wg: WorkGraph = { nodes: work, input: input.name, output: outputName, notes };
  const canon = canonicalize(wg);

  const outShape = shapes.get(outputName) as Shape;
  const logits = outShape.length === 2 || (outShape.length === 4 && outShape[2] === 1 && outShape[3] === 1);
  if (!logits) {
    throw new TinytrainError(`${file}: output '${outputName}' has shape ${fmtShape(outShape)}; expected logits [1,classes] or [1,classes,1,1]`, 'E_GRAPH_IO');
  }
  checkDeclaredOutput(graph.output[0], outShape, file);

  const live: Record<string, Shape> = { [input.name]: input.shape };
  for (const n of canon) live[n.output] = shapes.get(n.output) as Shape;
  const g: Graph = {
    name: graphName(givenName, graph.name),
    input,
    output: outputName,
    nodes: canon,
    shapes: live,
    opsetVersion: opset,
    producer: `${model.producerName} ${model.producerVersion}`.trim(),
    notes,
  };
  checkGraphShapes(g);
  return g;
}

function graphName(given: string | undefined, protoName: string): string {
  if (given) return given.replace(/^.*[\\/]/, '').replace(/\.onnx$/i, '') || 'model';
  return protoName || 'model';
}

/** The single non-initializer graph input: float32 [1,C,H,W], symbolic batch fixed to 1. */
function dataInput(graph: onnx.GraphProto, consts: Map<string, ConstTensor>, file: string, notes: string[]):
    { name: string; shape: Shape } {
  const data = graph.input.filter((v) => !consts.has(v.name ?? ''));
  if (data.length !== 1) {
    const names = data.map((v) => `'${v.name}'`).join(', ');
    throw new TinytrainError(data.length === 0
      ? `${file}: the graph has no data input (every input is an initializer)`
      : `${file}: multiple graph inputs with non-initializer data (${names}); exactly one image input is supported`, 'E_GRAPH_IO');
  }
  const vi = data[0];
  const name = vi.name ?? '';
  const tt = vi.type?.tensorType;
  if (!tt) throw new TinytrainError(`${file}: input '${vi.name}' is not a tensor`, 'E_GRAPH_IO');
  if (tt.elemType !== DT.FLOAT) {
    throw new TinytrainError(`${file}: input '${vi.name}' has element type ${dtypeName(tt.elemType ?? 0)}; only float32 inputs are supported`, 'E_GRAPH_IO');
  }
  if (!tt.shape) throw new TinytrainError(`${file}: input '${vi.name}' has no shape`, 'E_SHAPE');
  const dims = tt.shape.dim ?? [];
  const shown = dims.map((d) => (d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? String(toNum(d.dimValue)) : '?'));
  if (dims.length !== 4) {
    throw new TinytrainError(`${file}: input '${vi.name}' has rank ${dims.length} [${shown.join(',')}]; expected a 4-D image tensor [1,C,H,W]`, 'E_SHAPE');
  }
  const shape: Shape = [1];
  const b = dims[0];
  const bv = b.dimValue !== undefined && b.dimValue !== null ? toNum(b.dimValue) : 0;
  if (b.dimParam) notes.push(`symbolic batch dimension '${b.dimParam}' fixed to 1`);
  else if (bv <= 0) notes.push('unknown batch dimension fixed to 1');
  else if (bv !== 1) {
    throw new TinytrainError(`${file}: input '${vi.name}' has batch size ${bv}; export with batch 1 or a dynamic batch axis`, 'E_SHAPE');
  }
  for (let i = 1; i < 4; i++) {
    const v = dims[i].dimValue !== undefined && dims[i].dimValue !== null ? toNum(dims[i].dimValue) : 0;
    if (dims[i].dimParam || v <= 0) {
      throw new TinytrainError(`${file}: input '${vi.name}' dimension ${i} is not static (${shown[i]}); only the batch dimension may be symbolic`, 'E_SHAPE');
    }
    shape.push(v);
  }
  return { name, shape };
}

function graphOutput(graph: onnx.GraphProto, file: string): string {
  if (graph.output.length !== 1) {
    throw new TinytrainError(`${file}: the graph has ${graph.output.length} outputs (${graph.output.map((o) => `'${o.name}'`).join(', ')}); exactly one (the logits) is supported`, 'E_GRAPH_IO');
  }
  return graph.output[0].name ?? '';
}

/** Static non-batch dims the model declares for its output must match what we inferred. */
function checkDeclaredOutput(vi: onnx.IValueInfoProto, shape: Shape, file: string): void {
  const dims = vi.type?.tensorType?.shape?.dim;
  if (!dims) return;
  const declared = dims.map((d) => (d.dimValue !== undefined && d.dimValue !== null ? toNum(d.dimValue) : -1));
  const bad = declared.length !== shape.length || declared.some((v, i) => i > 0 && v > 0 && v !== shape[i]);
  if (bad) {
    throw new TinytrainError(`${file}: output '${vi.name}' is declared as [${declared.map((v) => (v > 0 ? v : '?')).join(',')}] but computes ${fmtShape(shape)}`, 'E_SHAPE');
  }
}

/** Nodes the output depends on, topologically sorted (stable w.r.t. file order). */
function neededInOrder(nodes: OnnxNode[], output: string, isSource: (t: string) => boolean, file: string): OnnxNode[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.outputs) {
      if (!o) continue;
      if (producer.has(o)) throw new TinytrainError(`${file} is not a valid ONNX model: tensor '${o}' is produced by two nodes`, 'E_ONNX_CORRUPT');
      producer.set(o, i);
    }
  });
  const needed = new Set<number>();
  const stack = [output];
  while (stack.length) {
    const t = stack.pop() as string;
    const i = producer.get(t);
    if (i === undefined) {
      if (!isSource(t)) throw new TinytrainError(`${file} is not a valid ONNX model: tensor '${t}' is read but never produced`, 'E_ONNX_CORRUPT');
      continue;
    }
    if (needed.has(i)) continue;
    needed.add(i);
    for (const s of nodes[i].inputs) if (s) stack.push(s);
  }
  // Kahn's algorithm, always taking the earliest ready node so file order is kept when valid.
  const done = new Set<number>();
  const order: OnnxNode[] = [];
  const pending = [...needed].sort((a, b) => a - b);
  while (pending.length) {
    const k = pending.findIndex((i) => nodes[i].inputs.every((s) => {
      const p = s ? producer.get(s) : undefined;
      return p === undefined || done.has(p);
    }));
    if (k < 0) throw new TinytrainError(`${file} is not a valid ONNX model: the graph has a cycle`, 'E_ONNX_CORRUPT');
    const i = pending.splice(k, 1)[0];
    done.add(i);
    order.push(nodes[i]);
  }
  return order;
}
