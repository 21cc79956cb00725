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
import { checkCount, checkDims, DT, dtypeName, elemBytes, fmtCount, fmtDims, int64Text, MAX_CONST_BYTES, tensorFromProto, toDim, toNum } from './tensor';
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
    if (e instanceof TinytrainError) {
      const msg = cleanMessage(e.message);
      throw msg === e.message ? e : new TinytrainError(msg, e.code, { cause: e });
    }
    const msg = e instanceof Error ? e.message : String(e);
    throw new TinytrainError(cleanMessage(`internal error while importing ${file}: ${msg}`), 'E_INTERNAL', { cause: e });
  }
}

const MAX_MESSAGE = 1000;

/** Messages quote names and values from the file: escape control characters (a name can hold
 *  a terminal escape sequence) and elide the middle of an overlong message. */
function cleanMessage(s: string): string {
  const esc = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return esc.length <= MAX_MESSAGE ? esc : `${esc.slice(0, 700)} … ${esc.slice(-250)}`;
}

function importModel(bytes: Uint8Array, file: string, givenName: string | undefined): Graph {
  const model = decodeModel(bytes, file);
  const graph = model.graph as onnx.GraphProto;
  const opset = defaultOpset(model, file);
  const notes: string[] = [];

  if (graph.sparseInitializer.length > 0) {
    throw new TinytrainError(`${file}: sparse initializers are not supported`, 'E_UNSUPPORTED_ATTR');
  }
  const consts = initializers(graph, file);

  const input = dataInput(graph, consts, file, notes);
  const outputName = graphOutput(graph, file);

  const nodes = uniqueNodeNames(graph.node.map(decodeNode), graph.node.map((n) => n.name ?? ''));
  const order = neededInOrder(nodes, outputName, (t) => t === input.name || consts.has(t), file);
  // Tensor names key plain objects downstream (Graph.shapes): assigning to '__proto__' would
  // replace the object's prototype instead of adding an entry.
  if ([input.name, ...order.flatMap((n) => n.outputs)].includes('__proto__')) {
    throw new TinytrainError(`${file}: a tensor named '__proto__' is not supported`, 'E_ONNX_CORRUPT');
  }

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
    shapes.set(low.node.output, checkActivation(n, nodeShape(low.node, ins, low.shape)));
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

/** Initializers by name, their declared sizes checked (and summed) before any is decoded. */
function initializers(graph: onnx.GraphProto, file: string): Map<string, ConstTensor> {
  let bytes = 0;
  const names = new Set<string>();
  for (const t of graph.initializer) {
    const name = t.name ?? '';
    if (names.has(name)) throw new TinytrainError(`${file} is not a valid ONNX model: two initializers are named '${name}'`, 'E_ONNX_CORRUPT');
    names.add(name);
    bytes += checkDims(t.dims ?? [], `initializer '${name}'`).count * (elemBytes(t.dataType ?? 0) ?? 8);
  }
  if (bytes > MAX_CONST_BYTES) {
    throw new TinytrainError(`${file}: the initializers declare ${fmtCount(bytes)} bytes; the limit is ${fmtCount(MAX_CONST_BYTES)} (512 MiB)`, 'E_TOO_LARGE');
  }
  const consts = new Map<string, ConstTensor>();
  for (const t of graph.initializer) consts.set(t.name ?? '', tensorFromProto(t, `initializer '${t.name ?? ''}'`));
  return consts;
}

/** An activation must be non-empty and within the tensor size limit. */
function checkActivation(n: OnnxNode, shape: Shape): Shape {
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    throw nodeError(n, `output shape ${fmtDims(shape)} is empty or invalid`, 'E_SHAPE');
  }
  checkCount(shape, `node '${n.name}' (${n.opType}) output`);
  return shape;
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
  const has = (d: onnx.TensorShapeProto.IDimension): boolean => d.dimValue !== undefined && d.dimValue !== null;
  const shown = dims.map((d) => (d.dimParam ? d.dimParam : has(d) ? int64Text(d.dimValue) : '?'));
  if (dims.length !== 4) {
    throw new TinytrainError(`${file}: input '${vi.name}' has rank ${dims.length} ${fmtDims(shown)}; expected a 4-D image tensor [1,C,H,W]`, 'E_SHAPE');
  }
  const shape: Shape = [1];
  const b = dims[0];
  const bv = has(b) ? toNum(b.dimValue) : 0;
  if (b.dimParam) notes.push(`symbolic batch dimension '${b.dimParam}' fixed to 1`);
  else if (bv <= 0) notes.push('unknown batch dimension fixed to 1');
  else if (bv !== 1) {
    throw new TinytrainError(`${file}: input '${vi.name}' has batch size ${shown[0]}; export with batch 1 or a dynamic batch axis`, 'E_SHAPE');
  }
  for (let i = 1; i < 4; i++) {
    // toDim refuses values beyond 2^53 (which a Long would round) and negative ones.
    const v = has(dims[i]) ? toDim(dims[i].dimValue) : 0;
    if (v === undefined) {
      throw new TinytrainError(`${file}: input '${vi.name}' dimension ${i} is ${shown[i]}, not a valid size`, 'E_SHAPE');
    }
    if (dims[i].dimParam || v <= 0) {
      throw new TinytrainError(`${file}: input '${vi.name}' dimension ${i} is not static (${shown[i]}); only the batch dimension may be symbolic`, 'E_SHAPE');
    }
    shape.push(v);
  }
  checkCount(shape, `${file}: input '${vi.name}'`);
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
  const corrupt = (why: string): TinytrainError => new TinytrainError(`${file} is not a valid ONNX model: ${why}`, 'E_ONNX_CORRUPT');
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.outputs) {
      if (!o) continue;
      if (producer.has(o)) throw corrupt(`tensor '${o}' is produced by two nodes ('${nodes[producer.get(o) as number].name}' and '${n.name}')`);
      if (isSource(o)) throw corrupt(`tensor '${o}' is a graph input or initializer and also the output of node '${n.name}'`);
      producer.set(o, i);
    }
  });
  const needed = new Set<number>();
  const stack = [output];
  while (stack.length) {
    const t = stack.pop() as string;
    const i = producer.get(t);
    if (i === undefined) {
      if (!isSource(t)) throw corrupt(`tensor '${t}' is read but never produced`);
      continue;
    }
    if (needed.has(i)) continue;
    needed.add(i);
    for (const s of nodes[i].inputs) if (s) stack.push(s);
  }
  // Kahn's algorithm in O(edges · log n): the ready set is a min-heap of file positions, so
  // file order is kept when it is already topological.
  const waiting = new Map<number, number>();     // inputs whose producer has not run yet
  const readers = new Map<number, number[]>();   // producer -> consumers (once per input)
  const ready: number[] = [];
  for (const i of needed) {
    let k = 0;
    for (const s of nodes[i].inputs) {
      const p = s ? producer.get(s) : undefined;
      if (p === undefined) continue;
      k++;
      const r = readers.get(p);
      if (r) r.push(i); else readers.set(p, [i]);
    }
    waiting.set(i, k);
    if (k === 0) heapPush(ready, i);
  }
  const order: OnnxNode[] = [];
  while (ready.length) {
    const i = heapPop(ready);
    order.push(nodes[i]);
    for (const c of readers.get(i) ?? []) {
      const k = (waiting.get(c) as number) - 1;
      waiting.set(c, k);
      if (k === 0) heapPush(ready, c);
    }
  }
  if (order.length < needed.size) {
    const stuck = [...needed].filter((i) => (waiting.get(i) as number) > 0).map((i) => `'${nodes[i].name}'`);
    throw corrupt(`the graph has a cycle (through ${stuck.slice(0, 3).join(', ')}${stuck.length > 3 ? ', …' : ''})`);
  }
  return order;
}

function heapPush(h: number[], v: number): void {
  let i = h.push(v) - 1;
  while (i > 0) {
    const up = (i - 1) >> 1;
    if (h[up] <= h[i]) break;
    [h[up], h[i]] = [h[i], h[up]];
    i = up;
  }
}

function heapPop(h: number[]): number {
  const top = h[0];
  const last = h.pop() as number;
  if (h.length > 0) {
    h[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && h[l] < h[m]) m = l;
      if (r < h.length && h[r] < h[m]) m = r;
      if (m === i) break;
      [h[m], h[i]] = [h[i], h[m]];
      i = m;
    }
  }
  return top;
}

/**
 * Node names key layers, schemes and generated identifiers, so they must be unique. A node
 * keeps its own name when no other node has it; an unnamed node, or a later one repeating a
 * name, becomes "<OpType>_<index>" (with _2, _3... while that is taken too).
 */
function uniqueNodeNames(nodes: OnnxNode[], given: string[]): OnnxNode[] {
  const count = new Map<string, number>();
  for (const g of given) if (g) count.set(g, (count.get(g) ?? 0) + 1);
  const taken = new Set<string>(given.filter((g) => count.get(g) === 1));
  const firstOfDuplicate = new Set<string>();
  return nodes.map((n, i) => {
    const g = given[i];
    if (g && count.get(g) === 1) return n;
    if (g && !firstOfDuplicate.has(g) && !taken.has(g)) {
      firstOfDuplicate.add(g);
      taken.add(g);
      return n;
    }
    let name = `${n.opType}_${i}`;
    for (let k = 2; taken.has(name); k++) name = `${n.opType}_${i}_${k}`;
    taken.add(name);
    return { ...n, name };
  });
}

