// Hostile and broken input (issue 6): deterministic fuzzing of the ONNX importer and the
// dataset loaders. Every case must either succeed or throw a one-line TinytrainError that is
// not E_INTERNAL -- never another exception, a hang, or a huge allocation. Every crash the
// fuzzer ever found is kept in test/fixtures/fuzz/ and checked below by its error.
//
// Reproduce one case: FUZZ_ONLY=<case number> (ONNX) or FUZZ_DATA_ONLY=<n>; FUZZ_DUMP=<dir>
// writes the bytes of failing cases there; FUZZ_VERBOSE=1 prints every case and its outcome.
import { strict as assert } from 'assert';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { onnx } from 'onnx-proto';
import { TinytrainError } from '../src/errors';
import { Graph } from '../src/ir/graph';
import { evaluateGraph, importOnnx, replaceHead } from '../src/onnx';
import { loadDataset } from '../src/data';

const ROOT = path.resolve(__dirname, '..', '..');
const MODEL_DIR = path.join(ROOT, 'test', 'fixtures', 'models');
const FUZZ_DIR = path.join(ROOT, 'test', 'fixtures', 'fuzz');
const BIN = path.join(ROOT, 'bin', 'tinytrain.js');

const ONNX_CASES = 4000;
const DATA_CASES = 400;
/** A small input must never take longer than this (the issue's definition of a hang). */
const CASE_MS = 2000;
/** No case may ask for a float array larger than this (a "huge allocation"). */
const MAX_ALLOC_ELEMENTS = 2 ** 26;

// ------------------------------------------------------------------ seeded PRNG

/** mulberry32: reproducible; Math.random is never used. */
class Rng {
  private a: number;
  constructor(seed: number) { this.a = seed >>> 0; }
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
  chance(p: number): boolean { return this.next() < p; }
}

const caseSeed = (kind: number, i: number): number => Math.imul(i + 1, 0x9e3779b1) ^ kind;

// ------------------------------------------------------------------ outcome checks

interface Failure { label: string; problem: string; bytes?: Uint8Array; ext?: string }

/** What is wrong with an exception thrown for hostile input, or undefined if it is fine. */
function problemWith(e: unknown): string | undefined {
  if (!(e instanceof TinytrainError)) {
    const frame = e instanceof Error ? (e.stack ?? '').split('\n').find((l) => /dist\/src\//.test(l))?.trim() : undefined;
    return `${e instanceof Error ? e.name : typeof e}: ${e instanceof Error ? e.message : String(e)}${frame ? ` (${frame})` : ''}`;
  }
  if (e.code === 'E_INTERNAL') {
    const c = e.cause instanceof Error ? (e.cause.stack ?? '').split('\n').find((l) => /dist\/src\//.test(l))?.trim() : undefined;
    return `E_INTERNAL: ${e.message}${c ? ` (${c})` : ''}`;
  }
  if (!e.message.trim()) return `empty message (${e.code})`;
  if (/[\n\r\u2028\u2029]/.test(e.message)) return `multi-line message: ${JSON.stringify(e.message)}`;
  if (/[\u0000-\u001f\u007f-\u009f]/.test(e.message)) return `control characters in message: ${JSON.stringify(e.message.slice(0, 200))}`;
  if (e.message.length > 2000) return `message of ${e.message.length} characters`;
  return undefined;
}

/** Run one case, timing it; records a failure for a slow run or a bad exception. */
function runCase<T>(label: string, fn: () => T, failures: Failure[], bytes?: Uint8Array, ext?: string): { value?: T; error?: TinytrainError; ms: number } {
  const t0 = process.hrtime.bigint();
  let value: T | undefined;
  let error: unknown;
  try { value = fn(); } catch (e) { error = e; }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (ms > CASE_MS) failures.push({ label, problem: `took ${ms.toFixed(0)} ms`, bytes, ext });
  if (error === undefined) return { value, ms };
  const why = problemWith(error);
  if (why) failures.push({ label, problem: why, bytes, ext });
  return { error: error as TinytrainError, ms };
}

/** Readable summary: failures grouped by problem (numbers and quoted names blurred). */
function summarize(failures: Failure[]): string {
  const groups = new Map<string, Failure[]>();
  for (const f of failures) {
    const key = f.problem.replace(/'[^']*'/g, "'…'").replace(/\d+/g, 'N').slice(0, 160);
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const lines = [...groups.values()].map((fs) => `  ${fs.length}x ${fs[0].problem}\n     e.g. ${fs.slice(0, 3).map((f) => f.label).join(' | ')}`);
  return `${failures.length} failing case(s) in ${groups.size} class(es):\n${lines.join('\n')}`;
}

function dumpFailures(failures: Failure[], prefix: string): void {
  const dir = process.env.FUZZ_DUMP;
  if (!dir || failures.length === 0) return;
  fs.mkdirSync(dir, { recursive: true });
  failures.forEach((f, k) => {
    if (f.bytes) fs.writeFileSync(path.join(dir, `${prefix}-${k}${f.ext ?? '.bin'}`), f.bytes);
  });
  fs.writeFileSync(path.join(dir, `${prefix}.txt`), failures.map((f, k) => `${prefix}-${k}: ${f.label}: ${f.problem}`).join('\n') + '\n');
}

/** Make every Float32Array/Float64Array construction check its length while `fn` runs. */
function withAllocationGuard<T>(fn: () => T): T {
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = { Float32Array, Float64Array };
  const guard = (Base: typeof Float32Array | typeof Float64Array): unknown => class extends (Base as typeof Float64Array) {
    constructor(...args: unknown[]) {
      const n = typeof args[0] === 'number' ? args[0] : (args[0] as { length?: number } | undefined)?.length;
      if (typeof n === 'number' && n > MAX_ALLOC_ELEMENTS) {
        throw new Error(`huge allocation: ${Base.name}(${n})`);
      }
      super(...(args as []));
    }
  };
  g.Float32Array = guard(Float32Array);
  g.Float64Array = guard(Float64Array);
  try {
    return fn();
  } finally {
    g.Float32Array = saved.Float32Array;
    g.Float64Array = saved.Float64Array;
  }
}

// ------------------------------------------------------------------ protobuf wire helpers

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 127) { out.push((v % 128) | 128); v = Math.floor(v / 128); }
  out.push(v);
  return out;
}

function concat(parts: (Uint8Array | number[])[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts.map((p) => Buffer.from(p instanceof Uint8Array ? p : Uint8Array.from(p)))));
}

/** A length-delimited field (wire type 2). */
function lenField(no: number, payload: Uint8Array | number[]): Uint8Array {
  const p = payload instanceof Uint8Array ? payload : Uint8Array.from(payload);
  return concat([varint((no << 3) | 2), varint(p.length), p]);
}

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

/**
 * A chain of `depth` nested messages, built linearly: level k is `head_k` followed by the
 * field `nestNo` that holds level k+1; the innermost level is empty. Returns the bytes of
 * level 1 (without an enclosing tag).
 */
function nested(depth: number, levels: { head: Uint8Array; nestNo: number }[]): Uint8Array {
  // Sizes from the inside out, then prefixes from the outside in.
  const steps = depth * levels.length;
  const size = new Array<number>(steps + 1).fill(0);
  for (let k = steps - 1; k >= 0; k--) {
    const l = levels[k % levels.length];
    size[k] = l.head.length + varint((l.nestNo << 3) | 2).length + varint(size[k + 1]).length + size[k + 1];
  }
  const parts: (Uint8Array | number[])[] = [];
  for (let k = 0; k < steps; k++) {
    const l = levels[k % levels.length];
    parts.push(l.head, varint((l.nestNo << 3) | 2), varint(size[k + 1]));
  }
  return concat(parts);
}

/** NodeProto with an attribute whose subgraph holds a node with a subgraph ... `depth` deep. */
function deepSubgraphNode(depth: number): Uint8Array {
  const node = { head: lenField(4, utf8('If')), nestNo: 5 };                         // op_type, attribute
  const attr = { head: concat([lenField(1, utf8('then_branch')), [0xa0, 0x01, 5]]), nestNo: 6 };  // name, type=GRAPH, g
  const graph = { head: new Uint8Array(0), nestNo: 1 };                                // node
  return nested(depth, [node, attr, graph]);
}

/** ValueInfoProto whose type is a sequence of a sequence of ... `depth` deep. */
function deepTypeValueInfo(depth: number): Uint8Array {
  const type = { head: new Uint8Array(0), nestNo: 4 };   // TypeProto.sequence_type
  const seq = { head: new Uint8Array(0), nestNo: 1 };    // Sequence.elem_type
  return concat([lenField(1, utf8('deep_type')), varint((2 << 3) | 2), varint(nested(depth, [type, seq]).length), nested(depth, [type, seq])]);
}

/** Re-encode `m` with `extra` appended inside its GraphProto (field 7). */
function withGraphBytes(m: onnx.ModelProto, extra: Uint8Array): Uint8Array {
  const graph = onnx.GraphProto.encode(m.graph as onnx.GraphProto).finish();
  const rest = onnx.ModelProto.encode({ ...m, graph: null } as onnx.IModelProto).finish();
  return concat([rest, lenField(7, concat([graph, extra]))]);
}

// ------------------------------------------------------------------ ONNX mutations

interface Seed { name: string; bytes: Uint8Array; decodable: boolean }

const SEEDS: Seed[] = [
  ...fs.readdirSync(MODEL_DIR).filter((f) => f.endsWith('.onnx')).sort().map((f) => path.join(MODEL_DIR, f)),
  path.join(ROOT, 'models', 'default.onnx'),
].map((p) => {
  const bytes = new Uint8Array(fs.readFileSync(p));
  let decodable = true;
  try { onnx.ModelProto.decode(bytes); } catch { decodable = false; }
  return { name: path.basename(p), bytes, decodable };
});

/** Interesting int64 values; strings are exact int64s protobufjs encodes via Long. */
const BIG_INTS: (number | string)[] = [0, -1, 1, 2 ** 40, 2 ** 31, 2 ** 31 - 1, 2 ** 32, 2 ** 28 + 1, 2 ** 53 + 2, -(2 ** 31), '9223372036854775807', '-9223372036854775808', 3, 7];
const int64 = (v: number | string): number => v as unknown as number;   // protobufjs accepts both

function byteMutation(src: Uint8Array, rng: Rng): [string, Uint8Array] {
  const b = Uint8Array.from(src);
  const n = b.length;
  switch (rng.int(6)) {
    case 0: {
      const k = 1 + rng.int(16);
      for (let i = 0; i < k && n > 0; i++) b[rng.int(n)] ^= 1 << rng.int(8);
      return [`flip ${k} bits`, b];
    }
    case 1: { const at = rng.int(n + 1); return [`truncate at ${at}`, b.subarray(0, at)]; }
    case 2: {
      const at = rng.int(n + 1), len = 1 + rng.int(Math.max(1, Math.min(64, n - at)));
      return [`delete ${len} bytes at ${at}`, concat([b.subarray(0, at), b.subarray(at + len)])];
    }
    case 3: {
      const at = rng.int(n + 1), len = 1 + rng.int(64), to = rng.int(n + 1);
      return [`duplicate ${len} bytes from ${at} at ${to}`, concat([b.subarray(0, to), b.subarray(at, at + len), b.subarray(to)])];
    }
    case 4: {
      const at = rng.int(n + 1), v = rng.pick([0x00, 0xff, 0x7f, 0x80]), len = 1 + rng.int(10);
      for (let i = at; i < Math.min(n, at + len); i++) b[i] = v;
      return [`overwrite ${len} bytes at ${at} with ${v}`, b];
    }
    default: {
      const at = rng.int(n + 1), extra = Uint8Array.from({ length: 1 + rng.int(32) }, () => rng.int(256));
      return [`insert ${extra.length} random bytes at ${at}`, concat([b.subarray(0, at), extra, b.subarray(at)])];
    }
  }
}

function randomBytes(rng: Rng): Uint8Array {
  const b = Uint8Array.from({ length: rng.int(4096) }, () => rng.int(256));
  // Half of them start like a ModelProto (ir_version, then a graph field) to get past the first tag.
  if (rng.chance(0.5) && b.length > 4) { b[0] = 0x08; b[1] = 7; b[2] = 0x3a; }
  return b;
}

type G = onnx.GraphProto;
type Mutator = (g: G, m: onnx.ModelProto, rng: Rng) => string | undefined;

const AT = onnx.AttributeProto.AttributeType;
const ATTR_NAMES = ['strides', 'pads', 'kernel_shape', 'group', 'axis', 'dilations', 'auto_pad', 'alpha', 'beta', 'transB', 'transA',
  'epsilon', 'keepdims', 'axes', 'value', 'to', 'min', 'max', 'allowzero', 'ceil_mode', 'count_include_pad', 'training_mode',
  'start', 'end', 'value_float', 'value_floats', 'value_int', 'value_ints', 'mode', 'starts', 'ends'];

function wrongAttr(name: string, rng: Rng): onnx.IAttributeProto {
  switch (rng.int(13)) {
    case 0: return { name, type: AT.FLOAT, f: rng.pick([2.5, -1, NaN, Infinity, 0]) };
    case 1: return { name, type: AT.STRING, s: utf8(rng.pick(['x', 'SAME_UPPER', '', '\u0000\n\u001b[31m'])) };
    case 2: return { name, type: AT.INTS, ints: Array.from({ length: rng.int(6) }, () => int64(rng.pick(BIG_INTS))) };
    case 3: return { name, type: AT.INT, i: int64(rng.pick(BIG_INTS)) };
    case 4: return { name, type: AT.FLOATS, floats: [1.5, NaN, -0] };
    case 5: return { name, type: AT.TENSOR, t: { dims: [int64(rng.pick(BIG_INTS))], dataType: rng.pick([1, 7, 8, 0]), int64Data: [int64(1), int64(2)] } };
    case 6: return { name, type: AT.GRAPH, g: { name: 'sub', node: [{ opType: 'Relu', input: ['a'], output: ['b'] }] } };
    case 7: return { name, type: AT.STRINGS, strings: [utf8('a'), utf8('b')] };
    case 8: return { name, type: AT.INTS, floats: [1, 2] };                 // type says ints, data is floats
    case 9: return { name, type: 99 as onnx.AttributeProto.AttributeType, i: int64(2) };
    case 10: return { name, type: AT.UNDEFINED };
    case 11: return { name, type: AT.INTS, ints: Array.from({ length: 200 + rng.int(5000) }, () => int64(1)) };
    default: return { name, type: AT.TENSOR };                                // no tensor at all
  }
}

/** Decoded nodes always have their repeated fields as arrays. */
const nodesOf = (g: G): onnx.NodeProto[] => g.node as onnx.NodeProto[];
const someNode = (g: G, rng: Rng): onnx.NodeProto | undefined => (g.node.length ? nodesOf(g)[rng.int(g.node.length)] : undefined);

/** Tensors in the model: initializers and Constant-node values. */
function tensorsOf(g: G): onnx.ITensorProto[] {
  const out: onnx.ITensorProto[] = [...g.initializer];
  for (const n of g.node) for (const a of n.attribute ?? []) if (a.t) out.push(a.t);
  return out;
}

function shapeDims(g: G): onnx.TensorShapeProto.IDimension[][] {
  return [...g.input, ...g.output, ...g.valueInfo].map((v) => v.type?.tensorType?.shape?.dim ?? []).filter((d) => d.length > 0);
}

/** Exact int64 values of a tensor (raw_data or int64_data), or undefined if they are not readable. */
function int64Values(t: onnx.ITensorProto): string[] | undefined {
  if (t.rawData && t.rawData.length) {
    return t.rawData.length % 8 === 0 ? Array.from(new BigInt64Array(Uint8Array.from(t.rawData).buffer), (x) => x.toString()) : undefined;
  }
  return (t.int64Data ?? []).map(String);
}

/** The target-shape tensor of some Reshape, as an initializer or a Constant's value. */
function reshapeTarget(g: G, rng: Rng): onnx.ITensorProto | undefined {
  const rs = nodesOf(g).filter((n) => n.opType === 'Reshape');
  if (!rs.length) return undefined;
  const t = rng.pick(rs).input[1];
  return g.initializer.find((x) => x.name === t) ??
    nodesOf(g).find((n) => n.output.includes(t) && n.opType === 'Constant')?.attribute?.find((a) => a.t)?.t ?? undefined;
}

/** Input positions where each op reads a constant (opset 18 numbering). */
const CONST_SLOTS: Record<string, number[]> = {
  Pad: [1, 2, 3], Slice: [1, 2, 3, 4], Clip: [1, 2], ReduceMean: [1], Squeeze: [1], Unsqueeze: [1], Reshape: [1],
  Dropout: [1, 2], Conv: [1, 2], Gemm: [1, 2], MatMul: [1], BatchNormalization: [1, 2, 3, 4], Gather: [0, 1],
  Concat: [0, 1], Add: [1], Sub: [0, 1], Mul: [0, 1], Div: [0, 1],
};

const MUTATORS: Record<string, Mutator> = {
  swapOpTypes(g, _m, rng) {
    const a = someNode(g, rng), b = someNode(g, rng);
    if (!a || !b) return undefined;
    [a.opType, b.opType] = [b.opType, a.opType];
    return `swap op_type of '${a.name}' and '${b.name}'`;
  },
  setOpType(g, _m, rng) {
    const a = someNode(g, rng);
    if (!a) return undefined;
    a.opType = rng.pick(['Conv', 'Gemm', 'MatMul', 'Reshape', 'Concat', 'Gather', 'Slice', 'Shape', 'Unsqueeze', 'Squeeze', 'Pad',
      'Cast', 'Constant', 'Flatten', 'Add', 'Mul', 'Div', 'Sub', 'BatchNormalization', 'MaxPool', 'AveragePool', 'ReduceMean',
      'Clip', 'Dropout', 'If', 'Loop', '', '__proto__', 'constructor', 'toString']);
    return `set op_type of '${a.name}' to '${a.opType}'`;
  },
  deleteNode(g, _m, rng) {
    if (!g.node.length) return undefined;
    const i = rng.int(g.node.length);
    const [n] = g.node.splice(i, 1);
    return `delete node '${n.name}'`;
  },
  deleteAllNodes(g) { g.node = []; return 'delete every node'; },
  duplicateNode(g, _m, rng) {
    const a = someNode(g, rng);
    if (!a) return undefined;
    g.node.push(onnx.NodeProto.decode(onnx.NodeProto.encode(a).finish()));
    return `duplicate node '${a.name}'`;
  },
  shuffleNodes(g, _m, rng) {
    for (let i = g.node.length - 1; i > 0; i--) { const j = rng.int(i + 1); [g.node[i], g.node[j]] = [g.node[j], g.node[i]]; }
    return 'shuffle node order';
  },
  swapInputsOutputs(g, _m, rng) {
    const a = someNode(g, rng);
    if (!a) return undefined;
    [a.input, a.output] = [a.output, a.input];
    return `swap inputs and outputs of '${a.name}'`;
  },
  swapInputNames(g, _m, rng) {
    const a = someNode(g, rng), b = someNode(g, rng);
    if (!a || !b || !a.input.length || !b.input.length) return undefined;
    const i = rng.int(a.input.length), j = rng.int(b.input.length);
    [a.input[i], b.input[j]] = [b.input[j], a.input[i]];
    return `swap input ${i} of '${a.name}' with input ${j} of '${b.name}'`;
  },
  dropInput(g, _m, rng) {
    const a = someNode(g, rng);
    if (!a || !a.input.length) return undefined;
    a.input.splice(rng.int(a.input.length), 1 + rng.int(2));
    return `drop inputs of '${a.name}'`;
  },
  emptyInputName(g, _m, rng) {
    const a = someNode(g, rng);
    if (!a || !a.input.length) return undefined;
    a.input[rng.int(a.input.length)] = '';
    return `blank an input of '${a.name}'`;
  },
  extraOutputs(g, _m, rng) {
    const a = someNode(g, rng);
    if (!a) return undefined;
    a.output = rng.chance(0.5) ? [] : ['', ...a.output, `extra_${rng.int(9)}`];
    return `change outputs of '${a.name}' to [${a.output.join(',')}]`;
  },
  duplicateOutput(g, _m, rng) {
    const a = someNode(g, rng), b = someNode(g, rng);
    if (!a || !b || !a.output.length || !b.output.length) return undefined;
    b.output[0] = a.output[0];
    return `'${b.name}' also produces '${a.output[0]}'`;
  },
  outputIsInput(g, _m, rng) {
    const a = someNode(g, rng);
    const src = rng.chance(0.5) ? g.input[0]?.name : g.initializer[0]?.name;
    if (!a || !a.output.length || !src) return undefined;
    a.output[0] = src;
    return `'${a.name}' produces the source tensor '${src}'`;
  },
  makeCycle(g, _m, rng) {
    if (!g.node.length) return undefined;
    const i = rng.int(g.node.length), j = i + rng.int(g.node.length - i);
    const a = nodesOf(g)[i], b = nodesOf(g)[j];
    if (!a.input.length || !b.output.length) return undefined;
    a.input[0] = b.output[0];
    return `cycle: '${a.name}' reads '${b.output[0]}' of '${b.name}'`;
  },
  renameDangling(g, _m, rng) {
    const name = rng.pick(['dangling', '', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'x\ny', '\u001b[2J']);
    switch (rng.int(5)) {
      case 0: { const a = someNode(g, rng); if (!a || !a.input.length) return undefined; a.input[rng.int(a.input.length)] = name; return `rename an input of '${a.name}' to ${JSON.stringify(name)}`; }
      case 1: { const a = someNode(g, rng); if (!a || !a.output.length) return undefined; a.output[0] = name; return `rename output of '${a.name}' to ${JSON.stringify(name)}`; }
      case 2: { if (!g.initializer.length) return undefined; const t = rng.pick(g.initializer); t.name = name; return `rename initializer to ${JSON.stringify(name)}`; }
      case 3: { if (!g.output.length) return undefined; g.output[0].name = name; return `rename graph output to ${JSON.stringify(name)}`; }
      default: {
        if (!g.input.length) return undefined;
        const old = g.input[0].name;
        for (const n of nodesOf(g)) n.input = n.input.map((s) => (s === old ? name : s));
        g.input[0].name = name;
        return `rename graph input (everywhere) to ${JSON.stringify(name)}`;
      }
    }
  },
  renameNode(g, _m, rng) {
    const a = someNode(g, rng);
    if (!a) return undefined;
    a.name = rng.pick(['', 'x'.repeat(5000), 'a\nb', '\u001b[31mred', '__proto__']);
    return `rename node to ${JSON.stringify(a.name.slice(0, 20))}`;
  },
  setDim(g, _m, rng) {
    const v = rng.pick(BIG_INTS);
    const where = rng.int(3);
    if (where === 0) {
      const ts = tensorsOf(g).filter((t) => (t.dims ?? []).length > 0);
      if (!ts.length) return undefined;
      const t = rng.pick(ts);
      (t.dims as number[])[rng.int((t.dims ?? []).length)] = int64(v);
      return `set a dim of tensor '${t.name}' to ${v}`;
    }
    if (where === 1) {
      const ds = shapeDims(g);
      if (!ds.length) return undefined;
      const d = rng.pick(ds);
      d[rng.int(d.length)] = onnx.TensorShapeProto.Dimension.create({ dimValue: int64(v) });
      return `set a value_info dim to ${v}`;
    }
    const t = reshapeTarget(g, rng);
    if (!t) return undefined;
    const vals = int64Values(t);
    if (!vals || !vals.length) return undefined;
    vals[rng.int(vals.length)] = String(v);
    t.rawData = new Uint8Array(0);
    t.int64Data = vals.map((s) => int64(s));
    t.dataType = 7;
    return `set a Reshape target value to ${v}`;
  },
  addDim(g, _m, rng) {
    const ts = tensorsOf(g);
    if (!ts.length) return undefined;
    const t = rng.pick(ts);
    t.dims = [...(t.dims ?? []), ...Array.from({ length: rng.pick([1, 40, 5000]) }, () => int64(1))];
    return `append dims of 1 to '${t.name}' (rank ${t.dims.length})`;
  },
  changeDataType(g, _m, rng) {
    const ts = tensorsOf(g);
    if (!ts.length) return undefined;
    const t = rng.pick(ts);
    t.dataType = rng.pick([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 99, -1]);
    return `data_type of '${t.name}' -> ${t.dataType}`;
  },
  truncateData(g, _m, rng) {
    const ts = tensorsOf(g);
    if (!ts.length) return undefined;
    const t = rng.pick(ts);
    if (t.rawData && t.rawData.length) { t.rawData = t.rawData.subarray(0, rng.int(t.rawData.length)); return `truncate raw_data of '${t.name}'`; }
    if (t.floatData && t.floatData.length) { t.floatData = t.floatData.slice(0, rng.int(t.floatData.length)); return `truncate float_data of '${t.name}'`; }
    if (t.int64Data && t.int64Data.length) { t.int64Data = t.int64Data.slice(0, rng.int(t.int64Data.length)); return `truncate int64_data of '${t.name}'`; }
    return undefined;
  },
  swapDataField(g, _m, rng) {
    const ts = tensorsOf(g).filter((t) => t.rawData && t.rawData.length);
    if (!ts.length) return undefined;
    const t = rng.pick(ts);
    const n = Math.floor((t.rawData as Uint8Array).length / 4);
    t.floatData = Array.from({ length: n }, (_, i) => i);
    t.rawData = new Uint8Array(0);
    t.int64Data = rng.chance(0.5) ? [int64(1)] : [];
    return `move '${t.name}' data to float_data`;
  },
  externalData(g, _m, rng) {
    const ts = tensorsOf(g);
    if (!ts.length) return undefined;
    const t = rng.pick(ts);
    t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    t.externalData = [{ key: 'location', value: '../../../etc/passwd' }];
    return `'${t.name}' claims external data`;
  },
  dropInitializer(g, _m, rng) {
    if (!g.initializer.length) return undefined;
    const [t] = g.initializer.splice(rng.int(g.initializer.length), 1);
    return `drop initializer '${t.name}'`;
  },
  duplicateInitializer(g, _m, rng) {
    if (!g.initializer.length) return undefined;
    const t = rng.pick(g.initializer);
    g.initializer.push(onnx.TensorProto.create({ name: t.name, dims: [int64(1)], dataType: 1, floatData: [1] }));
    return `second initializer named '${t.name}'`;
  },
  wrongAttrType(g, _m, rng) {
    const a = someNode(g, rng);
    if (!a) return undefined;
    const existing = (a.attribute ?? []).map((x) => x.name);
    const name = existing.length && rng.chance(0.7) ? rng.pick(existing) : rng.pick(ATTR_NAMES);
    const attr = onnx.AttributeProto.create(wrongAttr(name ?? '', rng));
    a.attribute = [...(a.attribute ?? []).filter((x) => x.name !== name), attr];
    return `attribute '${name}' of '${a.name}' (${a.opType}) -> type ${attr.type}`;
  },
  attrValue(g, _m, rng) {
    // Same type, hostile value: reaches the op rules' range checks rather than the type checks.
    const a = someNode(g, rng);
    const attrs = (a?.attribute ?? []) as onnx.AttributeProto[];
    if (!a || !attrs.length) return undefined;
    const at = rng.pick(attrs);
    if (at.type === AT.INT) at.i = int64(rng.pick(BIG_INTS));
    else if (at.type === AT.INTS) {
      const v = [...at.ints];
      if (rng.chance(0.3)) v.push(int64(rng.pick(BIG_INTS)));
      else if (v.length) v[rng.int(v.length)] = int64(rng.pick([...BIG_INTS, -2, 2, 4, 64]));
      at.ints = v;
    } else if (at.type === AT.FLOAT) at.f = rng.pick([NaN, Infinity, -Infinity, -1, 0, 3.4e38, 1e-45]);
    else if (at.type === AT.STRING) at.s = utf8(rng.pick(['NOTSET', 'VALID', 'SAME_LOWER', 'reflect', 'edge', 'constant', '']));
    else return undefined;
    return `value of '${at.name}' of '${a.name}' (${a.opType})`;
  },
  constValue(g, _m, rng) {
    // A small integer constant (shape, axes, pads, starts/ends) gets a hostile element.
    const ts = tensorsOf(g).filter((t) => t.dataType === 7 && (t.rawData?.length ?? 0) <= 64 && ((t.rawData?.length ?? 0) > 0 || (t.int64Data?.length ?? 0) > 0));
    if (!ts.length) return undefined;
    const t = rng.pick(ts);
    const vals = int64Values(t);
    if (!vals || !vals.length) return undefined;
    if (rng.chance(0.3)) vals.push(String(rng.pick(BIG_INTS)));
    else vals[rng.int(vals.length)] = String(rng.pick([...BIG_INTS, -2, 2, 4]));
    t.rawData = new Uint8Array(0);
    t.int64Data = vals.map((v) => int64(v));
    t.dims = [int64(vals.length)];
    return `int64 constant '${t.name}' = [${vals.join(',')}]`;
  },
  extraInput(g, _m, rng) {
    // An (optional) input -- Pad axes, Slice steps, Clip bounds, ReduceMean/Squeeze axes,
    // Reshape shape ... -- fed by a new constant with hostile values.
    const typed = nodesOf(g).filter((n) => CONST_SLOTS[n.opType]);
    const a = typed.length && rng.chance(0.7) ? rng.pick(typed) : someNode(g, rng);
    if (!a) return undefined;
    const name = `extra_${rng.int(1000)}`;
    const vals = Array.from({ length: 1 + rng.int(4) }, () => String(rng.pick([...BIG_INTS, 0, 1, 2, -2])));
    g.initializer.push(onnx.TensorProto.create(rng.chance(0.8)
      ? { name, dims: [int64(vals.length)], dataType: 7, int64Data: vals.map((v) => int64(v)) }
      : { name, dims: [int64(vals.length)], dataType: 1, floatData: vals.map(Number) }));
    const slots = CONST_SLOTS[a.opType];
    const at = slots && rng.chance(0.7) ? rng.pick(slots) : 1 + rng.int(4);
    while (a.input.length <= at) a.input.push('');
    a.input[at] = name;
    return `input ${at} of '${a.name}' (${a.opType}) = [${vals.join(',')}]`;
  },
  floatValues(g, _m, rng) {
    const ts = tensorsOf(g).filter((t) => t.dataType === 1 && (t.rawData?.length ?? 0) >= 4);
    if (!ts.length) return undefined;
    const t = rng.pick(ts);
    const raw = Uint8Array.from(t.rawData as Uint8Array);
    const f = new Float32Array(raw.buffer);
    for (let k = 0; k < 1 + rng.int(4); k++) f[rng.int(f.length)] = rng.pick([NaN, Infinity, -Infinity, 3.4e38, -0]);
    t.rawData = raw;
    return `non-finite values in '${t.name}'`;
  },
  graphIo(g, m, rng) {
    switch (rng.int(9)) {
      case 0: g.output = []; return 'no graph outputs';
      case 1: g.input = []; return 'no graph inputs';
      case 2: { const tt = g.input[0]?.type?.tensorType; if (!tt) return undefined; tt.elemType = rng.pick([0, 7, 10, 99]); return `input elem_type ${tt.elemType}`; }
      case 3: { const tt = g.input[0]?.type?.tensorType; if (!tt) return undefined; tt.shape = null; return 'input without shape'; }
      case 4: { const v = g.input[0]; if (!v) return undefined; v.type = null; return 'input without type'; }
      case 5: m.irVersion = int64(rng.pick([0, -1, '9223372036854775807'])); return `ir_version ${m.irVersion}`;
      case 6: m.opsetImport = []; return 'no opset_import';
      case 7: { const o = m.opsetImport[0]; if (!o) return undefined; o.version = int64(rng.pick([0, -1, 1, 6, 10, 2 ** 40, '9223372036854775807'])); return `opset version ${o.version}`; }
      default: g.output.push(onnx.ValueInfoProto.create({ name: g.output[0]?.name ?? 'o' })); return 'duplicate graph output';
    }
  },
  hugeInitializer(g, _m, rng) {
    const dims = rng.pick([[2 ** 40], [2 ** 20, 2 ** 20], [2 ** 14, 2 ** 14, 2], ['9223372036854775807'], [-1, 4]]).map(int64);
    const t = onnx.TensorProto.create({ name: `huge_${rng.int(99)}`, dims, dataType: rng.pick([1, 7, 11]) });
    if (rng.chance(0.5)) t.rawData = new Uint8Array(16);
    g.initializer.push(t);
    if (rng.chance(0.5) && g.node.length) {
      const n = rng.pick(nodesOf(g));
      if (n.input.length > 1) n.input[1] = t.name;
    }
    return `add initializer '${t.name}' with dims [${dims.join(',')}]`;
  },
  hugeConstant(g, _m, rng) {
    const c = g.node.find((n) => n.opType === 'Constant');
    const dims = rng.pick([[2 ** 40], [2 ** 31], [2 ** 28 + 1]]).map(int64);
    const t: onnx.ITensorProto = { dims, dataType: 7, int64Data: [int64(1)] };
    if (c) { c.attribute = [onnx.AttributeProto.create({ name: 'value', type: AT.TENSOR, t })]; return `Constant '${c.name}' with dims [${dims}]`; }
    g.node.unshift(onnx.NodeProto.create({ name: 'huge_const', opType: 'Constant', output: ['huge_c'], attribute: [{ name: 'value', type: AT.TENSOR, t }] }));
    return `new Constant with dims [${dims}]`;
  },
};

/** Mutators that keep the model decodable but reach deeper into the op rules are picked
 *  more often; the ones that break the graph at once, less. */
const WEIGHTS: Record<string, number> = {
  attrValue: 4, constValue: 3, extraInput: 3, setDim: 3, wrongAttrType: 3, setOpType: 2, swapOpTypes: 2,
  deleteAllNodes: 0.2, duplicateInitializer: 0.5, externalData: 0.5, addDim: 0.5,
};
const MUTATOR_NAMES = Object.keys(MUTATORS).flatMap((k) => new Array<string>(Math.round((WEIGHTS[k] ?? 1) * 5)).fill(k));

/** Special constructions: deep nesting, long chains, huge declarations. */
function special(rng: Rng): [string, Uint8Array] {
  const seed = rng.pick(SEEDS.filter((s) => s.decodable));
  const m = onnx.ModelProto.decode(seed.bytes);
  const g = m.graph as G;
  switch (rng.int(6)) {
    case 0: {
      const depth = rng.pick([20, 40, 5000, 20000]);
      return [`${seed.name} + unused node with subgraphs nested ${depth} deep`, withGraphBytes(m, lenField(1, deepSubgraphNode(depth)))];
    }
    case 1: {
      const depth = rng.pick([30, 5000, 20000]);
      return [`${seed.name} + value_info with a type nested ${depth} deep`, withGraphBytes(m, lenField(13, deepTypeValueInfo(depth)))];
    }
    case 2: {
      const k = rng.pick([1000, 20000]);
      const tag = varint((99 << 3) | 3);   // unknown field 99, start group
      return [`${seed.name} + ${k} nested unknown groups`, withGraphBytes(m, concat(Array.from({ length: k }, () => tag)))];
    }
    case 3: {
      // A long chain of Identity/Relu in front of the graph output.
      const k = rng.pick([2000, 9000, 12000]);
      const out = g.output[0].name ?? '';
      const p = nodesOf(g).find((n) => n.output.includes(out));
      if (!p) return ['unchanged', seed.bytes];
      p.output = p.output.map((o) => (o === out ? 'chain_0' : o));
      for (let i = 0; i < k; i++) {
        g.node.push(onnx.NodeProto.create({ name: `c${i}`, opType: i % 2 ? 'Relu' : 'Identity', input: [`chain_${i}`], output: [i === k - 1 ? out : `chain_${i + 1}`] }));
      }
      if (rng.chance(0.5)) g.node.reverse();
      return [`${seed.name} + chain of ${k} Identity/Relu nodes`, onnx.ModelProto.encode(m).finish()];
    }
    case 4: {
      MUTATORS.hugeInitializer(g, m, rng);
      return [`${seed.name} + 2^40-element initializer`, onnx.ModelProto.encode(m).finish()];
    }
    default: {
      const d = g.input[0]?.type?.tensorType?.shape?.dim;
      if (!d || d.length < 4) return ['unchanged', seed.bytes];
      d[rng.int(3) + 1] = onnx.TensorShapeProto.Dimension.create({ dimValue: int64(rng.pick([2 ** 40, 2 ** 20, 2 ** 31, '9223372036854775807'])) });
      return [`${seed.name} with a huge input dimension`, onnx.ModelProto.encode(m).finish()];
    }
  }
}

function protoMutation(seed: Seed, rng: Rng): [string, Uint8Array] {
  const m = onnx.ModelProto.decode(seed.bytes);
  const g = m.graph as G;
  const done: string[] = [];
  const want = 1 + rng.int(3);
  for (let tries = 0; done.length < want && tries < 20; tries++) {
    const name = rng.pick(MUTATOR_NAMES);
    const d = MUTATORS[name](g, m, rng);
    if (d) done.push(d);
  }
  return [done.join('; '), onnx.ModelProto.encode(m).finish()];
}

function onnxCase(i: number): { label: string; bytes: Uint8Array } {
  const rng = new Rng(caseSeed(1, i));
  const seed = rng.pick(SEEDS);
  const r = rng.next();
  let d: string, bytes: Uint8Array;
  if (r < 0.02) [d, bytes] = ['empty file', new Uint8Array(0)];
  else if (r < 0.05) [d, bytes] = ['random bytes', randomBytes(rng)];
  else if (r < 0.30 || !seed.decodable) [d, bytes] = byteMutation(seed.bytes, rng);
  else if (r < 0.97) {
    [d, bytes] = protoMutation(seed, rng);
    if (rng.chance(0.15)) { const [d2, b2] = byteMutation(bytes, rng); [d, bytes] = [`${d}; ${d2}`, b2]; }
  } else return ((s) => ({ label: `#${i} ${s[0]}`, bytes: s[1] }))(special(rng));
  return { label: `#${i} ${seed.name}: ${d}`, bytes };
}

// ------------------------------------------------------------------ after a successful import

/** Multiply-accumulates of one inference, to decide whether evaluating is cheap. */
function macs(g: Graph): number {
  let s = 0;
  for (const n of g.nodes) {
    const out = g.shapes[n.output].reduce((a, b) => a * b, 1);
    s += n.op === 'conv' ? out * n.weightShape[1] * n.weightShape[2] * n.weightShape[3] : n.op === 'gemm' ? n.weight.length : out;
  }
  return s;
}

/** The float stages that follow import in `gen`, without quantization. */
function afterImport(g: Graph): void {
  const need = g.input.shape.reduce((a, b) => a * b, 1);
  if (need <= 1e6 && macs(g) <= 2e7) {
    const env = evaluateGraph(g, new Float32Array(need));
    assert.ok(env[g.output], 'the evaluator computes the logits');
  }
  try {
    replaceHead(g, 3, 1);
  } catch (e) {
    if (!(e instanceof TinytrainError)) throw e;
  }
}

// ------------------------------------------------------------------ data mutations

interface DataCase {
  label: string;
  files: Record<string, Uint8Array>;
  maxTrain?: number;
  /** Extend this file, sparsely, to the size its header declares (cheap on disk). */
  sparse?: { file: string; bytes: number };
}

function idxBytes(magic: number, dims: number[], payload: Uint8Array): Uint8Array {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d >>> 0, 4 + 4 * i));
  return concat([head, payload]);
}

function npyBytes(dict: string, data: Uint8Array, version = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  let h = dict;
  while ((pre + h.length + 1) % 64 !== 0) h += ' ';
  h += '\n';
  const head = Buffer.alloc(pre);
  head.writeUInt8(0x93, 0);
  head.write('NUMPY', 1, 'latin1');
  head.writeUInt8(version, 6);
  if (version === 1) head.writeUInt16LE(Buffer.byteLength(h, 'latin1') & 0xffff, 8); else head.writeUInt32LE(Buffer.byteLength(h, 'latin1'), 8);
  return concat([head, Buffer.from(h, 'latin1'), data]);
}

const npyDict = (descr: string, shape: (number | string)[]): string =>
  `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;

const N_TRAIN = 5, N_TEST = 3, H = 4, W = 3;
const pixels = (n: number): Uint8Array => Uint8Array.from({ length: n * H * W }, (_, k) => (k * 37) & 255);
const labels = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, k) => k % 3);

function baseIdx(gz: boolean): Record<string, Uint8Array> {
  const ext = gz ? '.gz' : '';
  const z = (b: Uint8Array): Uint8Array => (gz ? new Uint8Array(zlib.gzipSync(b)) : b);
  return {
    ['train-images-idx3-ubyte' + ext]: z(idxBytes(0x803, [N_TRAIN, H, W], pixels(N_TRAIN))),
    ['train-labels-idx1-ubyte' + ext]: z(idxBytes(0x801, [N_TRAIN], labels(N_TRAIN))),
    ['t10k-images-idx3-ubyte' + ext]: z(idxBytes(0x803, [N_TEST, H, W], pixels(N_TEST))),
    ['t10k-labels-idx1-ubyte' + ext]: z(idxBytes(0x801, [N_TEST], labels(N_TEST))),
  };
}

function baseNpy(): Record<string, Uint8Array> {
  const f32 = (n: number): Uint8Array => new Uint8Array(Float32Array.from({ length: n * H * W }, (_, k) => k / 100).buffer);
  return {
    'x_train.npy': npyBytes(npyDict('<f4', [N_TRAIN, 1, H, W]), f32(N_TRAIN)),
    'y_train.npy': npyBytes(npyDict('<i8', [N_TRAIN]), new Uint8Array(BigInt64Array.from({ length: N_TRAIN }, (_, k) => BigInt(k % 3)).buffer)),
    'x_test.npy': npyBytes(npyDict('<f4', [N_TEST, H, W]), f32(N_TEST)),
    'y_test.npy': npyBytes(npyDict('|u1', [N_TEST]), labels(N_TEST)),
  };
}

/** 2^k-ish values that break size arithmetic. */
const BIG_U32 = [0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 16, 65537, 2 ** 28 + 1, 3];

/** A gzip "bomb": a valid tiny IDX followed by `mb` MB of zeros in extra gzip members. */
function gzipBomb(file: Uint8Array, mb: number): Uint8Array {
  const zeros = zlib.gzipSync(Buffer.alloc(1 << 20), { level: 9 });
  return concat([zlib.gzipSync(file), ...Array.from({ length: mb }, () => zeros)]);
}

function mutateIdxHeader(name: string, b: Uint8Array, rng: Rng): [string, Uint8Array] {
  const out = Buffer.from(b);
  const ndims = out.length >= 4 ? out[3] : 0;
  switch (rng.int(3)) {
    case 0: { const i = rng.int(Math.max(1, ndims)); const v = rng.pick(BIG_U32); if (out.length >= 8 + 4 * i) out.writeUInt32BE(v, 4 + 4 * i); return [`${name}: dim ${i} = ${v}`, out]; }
    case 1: { out[3] = rng.pick([0, 1, 2, 3, 4, 200, 255]); return [`${name}: ndims byte ${out[3]}`, out]; }
    default: { out[2] = rng.pick([0x08, 0x09, 0x0d, 0x0e, 0xff]); return [`${name}: type byte ${out[2]}`, out]; }
  }
}

function mutateNpyHeader(name: string, rng: Rng): [string, Uint8Array] {
  const descr = rng.pick(['<f4', '|u1', '<i8', '<f8', '>f4', '<c8', 'O', '<U3', "'", '<f4' + 'x'.repeat(3000)]);
  const shape = rng.pick<(number | string)[]>([[N_TRAIN, H, W], [2 ** 40, H, W], [N_TRAIN, 2 ** 40], ['9'.repeat(400), H, W], [-1, H, W],
    [0, H, W], [N_TRAIN, 0, W], [], [N_TRAIN], ['2**40'], [N_TRAIN, 1, H, W], [2 ** 28, 2 ** 28], [1, 2 ** 31, 2 ** 31, 2 ** 31]]);
  const version = rng.pick([1, 1, 2, 3, 0, 4]);
  const dicts = [npyDict(descr, shape), npyDict(descr, shape).replace('False', 'True'), '{}', '{' + "'shape': (".repeat(2000) + '}',
    `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(',')}`];
  const dict = rng.chance(0.8) ? dicts[0] : rng.pick(dicts);
  const data = new Uint8Array(rng.pick([0, 4, 60, 96, 480]));
  let b = npyBytes(dict, data, version);
  if (rng.chance(0.2)) {
    // Header length field that disagrees with the header.
    const hb = Buffer.from(b);
    if (version === 1) hb.writeUInt16LE(rng.pick([0, 1, 0xffff]), 8); else hb.writeUInt32LE(rng.pick([0, 0xffffffff, 2 ** 31]), 8);
    b = hb;
  }
  return [`${name}: header ${JSON.stringify(dict.slice(0, 80))} v${version} + ${data.length} bytes`, b];
}

function dataCase(i: number): DataCase {
  const rng = new Rng(caseSeed(2, i));
  const kind = rng.pick(['idx', 'idx.gz', 'npy'] as const);
  const files = kind === 'npy' ? baseNpy() : baseIdx(kind === 'idx.gz');
  const names = Object.keys(files);
  const name = rng.pick(names);
  const gz = name.endsWith('.gz');
  const raw = gz ? new Uint8Array(zlib.gunzipSync(files[name])) : files[name];
  const r = rng.next();
  let d: string;
  let b: Uint8Array;
  if (r < 0.05) [d, b] = [`${name}: empty`, new Uint8Array(0)];
  else if (r < 0.10) [d, b] = [`${name}: random bytes`, Uint8Array.from({ length: rng.int(300) }, () => rng.int(256))];
  else if (r < 0.45) [d, b] = ((x) => [`${name}: ${x[0]}`, x[1]] as [string, Uint8Array])(byteMutation(raw, rng));
  else if (r < 0.93) [d, b] = kind === 'npy' ? mutateNpyHeader(name, rng) : mutateIdxHeader(name, raw, rng);
  else if (kind === 'idx.gz') [d, b] = [`${name}: gzip bomb`, gzipBomb(raw, rng.pick([16, 200]))];
  else if (rng.chance(0.7)) {
    // A header declaring a huge array over a sparse file: the truncation check passes.
    const rows = rng.pick([2 ** 25, 2 ** 27]);   // 12 elements a row: over the 2^28 read limit
    const labelsFile = name.startsWith('y_') || name.includes('labels');
    const shape = labelsFile ? [rows] : [rows, 1, H, W];
    const body = kind === 'npy' ? npyBytes(npyDict(labelsFile ? '|u1' : '<f4', shape), new Uint8Array(0))
      : idxBytes(labelsFile ? 0x801 : 0x803, labelsFile ? [rows] : [rows, H, W], new Uint8Array(0));
    files[name] = body;
    const bytes = body.length + shape.reduce((a, v) => a * v, 1) * (kind === 'npy' && !labelsFile ? 4 : 1);
    return { label: `data #${i} ${name}: sparse file declaring ${rows} samples (${bytes} bytes)`, files, sparse: { file: name, bytes }, maxTrain: rng.pick([undefined, 2]) };
  }
  else [d, b] = [`${name}: appended ${r < 0.97 ? 7 : 100000} bytes`, concat([raw, new Uint8Array(r < 0.97 ? 7 : 100000)])];
  // Compress after mutating (a mutated payload in a valid gzip), or mutate the gzip itself.
  if (gz && !d.includes('gzip bomb')) {
    if (rng.chance(0.8)) b = new Uint8Array(zlib.gzipSync(b));
    else [d, b] = ((x) => [`${name} (compressed bytes): ${x[0]}`, x[1]] as [string, Uint8Array])(byteMutation(files[name], rng));
  }
  files[name] = b;
  return { label: `data #${i} ${d}`, files, maxTrain: rng.pick([undefined, 0, 2, 100]) };
}

// ------------------------------------------------------------------ tests

describe('fuzz: the ONNX importer survives hostile models', function () {
  this.timeout(120_000);

  it('the harness notices a huge allocation (a check of the check)', () => {
    const failures: Failure[] = [];
    withAllocationGuard(() => runCase('guard', () => Float32Array.from({ length: MAX_ALLOC_ELEMENTS + 1 }), failures));
    assert.equal(failures.length, 1);
    assert.match(failures[0].problem, /huge allocation: Float32Array/);
    assert.ok(new Float64Array(4) instanceof Float64Array, 'the guard is removed afterwards');
  });

  it(`${ONNX_CASES} mutated, truncated, random and oversized models: success or a one-line TinytrainError`, () => {
    const failures: Failure[] = [];
    const only = process.env.FUZZ_ONLY !== undefined ? Number(process.env.FUZZ_ONLY) : undefined;
    let ok = 0, errors = 0, evaluated = 0;
    const codes = new Map<string, number>();
    const t0 = Date.now();
    withAllocationGuard(() => {
      for (let i = 0; i < ONNX_CASES; i++) {
        if (only !== undefined && i !== only) continue;
        const c = onnxCase(i);
        if (only !== undefined) console.log(c.label);
        const r = runCase(c.label, () => importOnnx(c.bytes, { name: 'fuzz.onnx' }), failures, c.bytes, '.onnx');
        if (process.env.FUZZ_VERBOSE) console.log(`${c.label.slice(0, 150)}\n    -> ${r.error ? `${r.error.code}: ${r.error.message.slice(0, 300)}` : 'ok'} (${r.ms.toFixed(1)} ms)`);
        if (r.error) { errors++; codes.set(r.error.code, (codes.get(r.error.code) ?? 0) + 1); }
        if (!r.value) continue;
        ok++;
        // About 5% of the successful imports also go through the float stages after import.
        if (new Rng(caseSeed(3, i)).chance(0.05) || only !== undefined) {
          evaluated++;
          const g = r.value;
          runCase(`${c.label} (after import)`, () => afterImport(g), failures, c.bytes, '.onnx');
        }
      }
    });
    const s = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(`      ${ONNX_CASES} cases in ${s} s: ${ok} imported (${evaluated} evaluated), ${errors} refused ${JSON.stringify(Object.fromEntries([...codes].sort()))}`);
    dumpFailures(failures, 'onnx');
    assert.ok(failures.length === 0, summarize(failures));
    if (only === undefined) assert.ok(ok > 20 && errors > 1000, 'the mix has both successes and errors');
  });
});

describe('fuzz: the dataset loaders survive hostile files', function () {
  this.timeout(120_000);
  let tmp = '';
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-fuzz-data-')); });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it(`${DATA_CASES} mutated IDX (raw and gzip) and .npy folders: success or a one-line TinytrainError`, () => {
    const failures: Failure[] = [];
    const only = process.env.FUZZ_DATA_ONLY !== undefined ? Number(process.env.FUZZ_DATA_ONLY) : undefined;
    let ok = 0, errors = 0;
    const t0 = Date.now();
    withAllocationGuard(() => {
      for (let i = 0; i < DATA_CASES; i++) {
        if (only !== undefined && i !== only) continue;
        const c = dataCase(i);
        if (only !== undefined) console.log(c.label);
        const dir = path.join(tmp, `c${i}`);
        fs.mkdirSync(dir);
        for (const [f, b] of Object.entries(c.files)) fs.writeFileSync(path.join(dir, f), b);
        if (c.sparse) fs.truncateSync(path.join(dir, c.sparse.file), c.sparse.bytes);
        const changed = Object.entries(c.files).find(([f]) => c.label.includes(f));
        const r = runCase(c.label, () => loadDataset(dir, { inputShape: [1, H, W], maxTrain: c.maxTrain, numClasses: 3 }), failures,
          changed?.[1], changed ? `-${changed[0]}` : undefined);
        if (r.error) errors++; else ok++;
        if (process.env.FUZZ_VERBOSE) console.log(`${c.label.slice(0, 150)}\n    -> ${r.error ? `${r.error.code}: ${r.error.message.slice(0, 300)}` : 'ok'}`);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
    console.log(`      ${DATA_CASES} cases in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${ok} loaded, ${errors} refused`);
    dumpFailures(failures, 'data');
    assert.ok(failures.length === 0, summarize(failures));
  });
});

// ------------------------------------------------------------------ regression fixtures

interface Regression { file: string; code: string; parts: string[] }

/** Every crash class the fuzzer found, plus the size limits the issue names. */
const ONNX_REGRESSIONS: Regression[] = [
  // Found: an axis of ±2^31 grew a sparse array that a message then joined (127 s, then E_INTERNAL).
  { file: 'pad-axes-2pow31.onnx', code: 'E_SHAPE', parts: ["node 'pad_before_conv' (Pad) axes: axis -2147483648 out of range for rank 4"] },
  // Found: constant folding read parts[0] of an empty list (TypeError, E_INTERNAL).
  { file: 'concat-no-inputs.onnx', code: 'E_ONNX_CORRUPT', parts: ["node 'concat' (Concat): has no inputs"] },
  // Found: names were echoed raw, terminal escape sequences included.
  { file: 'tensor-name-escape-sequence.onnx', code: 'E_ONNX_CORRUPT', parts: ["tensor '\\u001b[2J\\u001b[31mred' is read but never produced"] },
  // Found: a 5001-dim tensor made a 10 kB message.
  { file: 'initializer-rank-5000.onnx', code: 'E_TOO_LARGE', parts: ["initializer 'bg': rank 5001 is over the limit of 32", '… (5001 dims) …'] },
  // Limits: declared sizes are refused before anything is allocated.
  { file: 'initializer-2pow40.onnx', code: 'E_TOO_LARGE', parts: ["initializer 'huge'", '1099511627776 (2^40) elements', 'the limit for a tensor is 268435456 (2^28)'] },
  { file: 'input-dim-2pow40.onnx', code: 'E_TOO_LARGE', parts: ["input 'x': dims [1,2,1099511627776,10]", 'the limit for a tensor is 268435456 (2^28)'] },
  { file: 'subgraphs-nested-100.onnx', code: 'E_TOO_LARGE', parts: ['nested more than 64 levels deep'] },
  { file: 'conv-strides-float.onnx', code: 'E_UNSUPPORTED_ATTR', parts: ["node 'conv_same' (Conv): attribute 'strides' must be a list of ints"] },
];

interface DataRegression extends Regression { as: string; sparse?: boolean }

const DATA_REGRESSIONS: DataRegression[] = [
  // Found: a 3000-character descr was quoted whole.
  { file: 'npy-descr-3000-chars.npy', as: 'y_train.npy', code: 'DATA_NPY', parts: ["unsupported .npy dtype '<f4xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'"] },
  // Found: all declared rows were allocated (new ArrayBuffer of GBs: RangeError, or a hang).
  { file: 'npy-sparse-2pow25-rows.npy', as: 'x_train.npy', sparse: true, code: 'DATA_TOO_LARGE', parts: ['loading 33554432 samples of 1x4x3 = 402653184 elements is over the limit of 268435456 (2^28)'] },
  // A small .gz inflating to 64 MiB: inflation now stops one byte past the declared size.
  { file: 'idx-gzip-bomb.gz', as: 'train-images-idx3-ubyte.gz', code: 'DATA_SIZE', parts: ['unexpected bytes after the 5x4x3 payload (expected 76 bytes, found more)'] },
  { file: 'npy-header-2pow40.npy', as: 'x_train.npy', code: 'DATA_TOO_LARGE', parts: ['1099511627776x1x4x3', 'the limit for a data file is 4294967296 (2^32)'] },
  { file: 'idx-images-2pow40.idx', as: 'train-images-idx3-ubyte', code: 'DATA_TOO_LARGE', parts: ['1048576x1024x1024 = 1099511627776 (2^40) elements', 'the limit for a data file is 4294967296 (2^32)'] },
];

/** fn throws a one-line TinytrainError with `code` whose message holds every part, in < CASE_MS. */
function expectRefusal(fn: () => unknown, r: Regression): void {
  const t0 = Date.now();
  let caught: unknown;
  try { fn(); } catch (e) { caught = e; }
  assert.ok(Date.now() - t0 < CASE_MS, `${r.file}: took ${Date.now() - t0} ms`);
  assert.ok(caught instanceof TinytrainError, `${r.file}: expected a TinytrainError, got ${caught instanceof Error ? caught.stack : String(caught)}`);
  assert.equal(caught.code, r.code, caught.message);
  assert.equal(problemWith(caught), undefined, caught.message);
  for (const p of r.parts) assert.ok(caught.message.includes(p), `${r.file}: '${caught.message}' should contain '${p}'`);
}

const fixture = (f: string): Buffer => fs.readFileSync(path.join(FUZZ_DIR, f));

describe('fuzz: regression fixtures (test/fixtures/fuzz)', function () {
  this.timeout(60_000);
  let tmp = '';
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-fuzz-fix-')); });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('every fixture is covered by a test below', () => {
    const covered = [...ONNX_REGRESSIONS, ...DATA_REGRESSIONS].map((r) => r.file).concat('chain-5000-identity-relu.onnx');
    assert.deepEqual(fs.readdirSync(FUZZ_DIR).sort(), covered.sort());
  });

  for (const r of ONNX_REGRESSIONS) {
    it(`${r.file}: ${r.code}`, () => expectRefusal(() => importOnnx(new Uint8Array(fixture(r.file)), { name: r.file }), r));
  }

  it('chain-5000-identity-relu.onnx: imports quickly (sorting and fusion were quadratic: 159 s for 30000 nodes)', () => {
    const t0 = Date.now();
    const g = importOnnx(new Uint8Array(fixture('chain-5000-identity-relu.onnx')));
    assert.ok(Date.now() - t0 < CASE_MS, `took ${Date.now() - t0} ms`);
    const last = g.nodes[g.nodes.length - 1];
    assert.equal(last.op, 'gemm');
    assert.equal(last.from.length, 1 + 2500, 'the Gemm absorbed the 2500 Relus; the 2500 Identities are gone');
    assert.equal(last.output, 'out');
  });

  for (const r of DATA_REGRESSIONS) {
    it(`${r.file} as ${r.as}: ${r.code}`, () => {
      const dir = path.join(tmp, r.file);
      fs.mkdirSync(dir);
      const files = r.as.endsWith('.npy') ? baseNpy() : baseIdx(r.as.endsWith('.gz'));
      for (const [f, b] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), b);
      const target = path.join(dir, r.as);
      fs.writeFileSync(target, fixture(r.file));
      if (r.sparse) fs.truncateSync(target, fixture(r.file).length + 2 ** 25 * 12 * 4);
      withAllocationGuard(() => expectRefusal(() => loadDataset(dir, { inputShape: [1, H, W] }), r));
    });
  }
});

describe('fuzz: the CLI reports regression fixtures as one line, writing nothing', function () {
  this.timeout(120_000);
  let tmp = '';
  beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-fuzz-cli-')); });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const f of ['pad-axes-2pow31.onnx', 'concat-no-inputs.onnx', 'tensor-name-escape-sequence.onnx', 'initializer-2pow40.onnx']) {
    it(`tinytrain gen --model ${f}`, () => {
      const out = path.join(tmp, 'o');
      const r = cp.spawnSync(process.execPath, [BIN, 'gen', '--model', path.join(FUZZ_DIR, f), '--out', out],
        { cwd: tmp, encoding: 'utf8', timeout: 60_000, env: { ...process.env, TINYTRAIN_DEBUG: '' } });
      assert.equal(r.status, 1, `exit ${r.status}; stderr: ${r.stderr}`);
      const lines = r.stderr.split('\n').filter((l) => l.length > 0);
      assert.equal(lines.length, 1, `one stderr line, got:\n${r.stderr}`);
      assert.ok(lines[0].startsWith('tinytrain: error: '), lines[0]);
      assert.ok(!/\n\s+at /.test(r.stderr) && !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(r.stderr), `no stack trace or control characters:\n${JSON.stringify(r.stderr)}`);
      assert.ok(!fs.existsSync(out) || fs.readdirSync(out).length === 0, 'nothing written under the output folder');
    });
  }
});
