// ONNX bytes -> ModelProto, with every decoding failure turned into one readable line.
import { onnx } from 'onnx-proto';
import { TinytrainError } from '../errors';
import { int64Text, tensorFromProto, toNum } from './tensor';
import { AttrValue, OnnxNode } from './types';

/** Nodes in one graph. Microcontroller models have a few hundred; some canonicalization
 *  steps still scan the graph once per node, so an absurd count is refused up front. */
export const MAX_NODES = 10000;
/** Message nesting (model > graph > node > attribute > subgraph > ..., or a type inside a
 *  type; about 20 levels of subgraphs): protobufjs decodes recursively and would overflow the
 *  stack, so depth is checked on the wire before decoding. */
export const MAX_NESTING = 64;

/** Decode and sanity-check a ModelProto. `file` names the model in messages. */
export function decodeModel(bytes: Uint8Array, file: string): onnx.ModelProto {
  const bad = (why: string): TinytrainError =>
    new TinytrainError(`${file} is not a valid ONNX model: ${why}`, 'E_ONNX_CORRUPT');
  if (!(bytes instanceof Uint8Array)) throw bad('expected the file\'s bytes');
  if (bytes.byteLength === 0) throw bad('the file is empty');
  const depth = nestingDepth(bytes);
  if (depth > MAX_NESTING) {
    throw new TinytrainError(`${file}: protobuf messages (subgraphs, nested types or groups) are nested more than ${MAX_NESTING} levels deep`, 'E_TOO_LARGE');
  }
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const why = /index out of range/.test(msg) ? `truncated or corrupt protobuf (${msg})` : `corrupt protobuf (${msg})`;
    throw bad(why);
  }
  // Random bytes can decode "successfully" into a message of unknown fields: require the
  // fields every exporter writes.
  if (!model.graph) throw bad('it has no graph');
  if (toNum(model.irVersion) <= 0) throw bad('ir_version is missing');
  const g = model.graph as onnx.GraphProto;
  if (g.node.length === 0) throw bad('the graph has no nodes');
  if (g.output.length === 0) throw bad('the graph has no outputs');
  if (g.node.length > MAX_NODES) {
    throw new TinytrainError(`${file}: the graph has ${g.node.length} nodes; the limit is ${MAX_NODES}`, 'E_TOO_LARGE');
  }
  return model;
}

/** Version of the default ("" / ai.onnx) opset the model imports. */
export function defaultOpset(model: onnx.ModelProto, file: string): number {
  const o = model.opsetImport.find((x) => !x.domain || x.domain === 'ai.onnx');
  if (!o) throw new TinytrainError(`${file} is not a valid ONNX model: it imports no default-domain opset`, 'E_ONNX_CORRUPT');
  const v = toNum(o.version);
  if (!Number.isSafeInteger(v) || v < 1) {
    throw new TinytrainError(`${file} is not a valid ONNX model: default-domain opset version ${int64Text(o.version)} is not a positive integer`, 'E_ONNX_CORRUPT');
  }
  return v;
}

// Every embedded-message field of onnx.proto: message kind -> field number -> kind of the
// embedded message. Other fields (strings, bytes, packed numbers) are skipped as a unit;
// groups of unknown fields, which protobufjs also skips recursively, count as a level.
type Kind = 'model' | 'graph' | 'node' | 'attr' | 'value' | 'type' | 'ttype' | 'shape' | 'elem' | 'map' |
  'tensor' | 'sparse' | 'annot' | 'training' | 'function' | 'leaf';
const NESTS: Record<Kind, Record<number, Kind>> = {
  model: { 7: 'graph', 8: 'leaf', 14: 'leaf', 20: 'training', 25: 'function' },
  training: { 1: 'graph', 2: 'graph', 3: 'leaf', 4: 'leaf' },
  function: { 7: 'node', 9: 'leaf' },
  graph: { 1: 'node', 5: 'tensor', 11: 'value', 12: 'value', 13: 'value', 14: 'annot', 15: 'sparse' },
  node: { 5: 'attr' },
  attr: { 5: 'tensor', 6: 'graph', 10: 'tensor', 11: 'graph', 14: 'type', 15: 'type', 22: 'sparse', 23: 'sparse' },
  value: { 2: 'type' },
  type: { 1: 'ttype', 4: 'elem', 5: 'map', 8: 'ttype', 9: 'elem' },   // tensor, sequence, map, sparse, optional
  ttype: { 2: 'shape' },
  shape: { 1: 'leaf' },
  elem: { 1: 'type' },                                                 // Sequence/Optional.elem_type
  map: { 2: 'type' },                                                  // Map.value_type
  tensor: { 3: 'leaf', 13: 'leaf' },
  sparse: { 1: 'tensor', 2: 'tensor' },
  annot: { 2: 'leaf' },
  leaf: {},
};

/** Deepest nesting of embedded messages and groups, found iteratively on the wire format.
 *  Malformed bytes end the scan early: the decoder then reports them. */
export function nestingDepth(bytes: Uint8Array): number {
  const stack: { kind: Kind | undefined; end: number }[] = [{ kind: 'model', end: bytes.length }];
  let pos = 0;
  let max = 1;
  const readVarint = (): number | undefined => {
    let v = 0;
    for (let shift = 0; shift < 64 && pos < bytes.length; shift += 7) {
      const b = bytes[pos++];
      if (shift < 53) v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
    return undefined;
  };
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (pos >= top.end) { stack.pop(); continue; }
    const tag = readVarint();
    if (tag === undefined) return max;
    const wire = tag % 8;
    const field = Math.floor(tag / 8);
    let skip = 0;
    if (wire === 0) { if (readVarint() === undefined) return max; }
    else if (wire === 1) skip = 8;
    else if (wire === 5) skip = 4;
    else if (wire === 2) {
      const len = readVarint();
      if (len === undefined || pos + len > top.end) return max;
      const inner = top.kind ? NESTS[top.kind][field] : undefined;
      if (inner) {
        stack.push({ kind: inner, end: pos + len });
        max = Math.max(max, stack.length);
        if (max > MAX_NESTING) return max;
        continue;
      }
      skip = len;
    } else if (wire === 3) {
      // A group of unknown fields: it ends at the matching end-group tag (or its parent's end).
      stack.push({ kind: undefined, end: top.end });
      max = Math.max(max, stack.length);
      if (max > MAX_NESTING) return max;
      continue;
    } else if (wire === 4) {
      if (top.kind !== undefined) return max;   // end-group without a group: corrupt
      stack.pop();
      continue;
    } else return max;
    pos += skip;
  }
  return max;
}

const utf8 = new TextDecoder();
const AT = onnx.AttributeProto.AttributeType;

function decodeAttr(a: onnx.IAttributeProto, what: string): AttrValue {
  let type = a.type ?? AT.UNDEFINED;
  if (type === AT.UNDEFINED) {
    // Very old exporters leave `type` unset: infer it from the field that holds data.
    if (a.t) type = AT.TENSOR;
    else if ((a.ints?.length ?? 0) > 0) type = AT.INTS;
    else if ((a.floats?.length ?? 0) > 0) type = AT.FLOATS;
    else if (a.s && a.s.length > 0) type = AT.STRING;
    else if (a.f) type = AT.FLOAT;
    else type = AT.INT;
  }
  switch (type) {
    case AT.FLOAT: return { kind: 'float', v: a.f ?? 0 };
    case AT.INT: return { kind: 'int', v: toNum(a.i) };
    case AT.STRING: return { kind: 'string', v: utf8.decode(a.s ?? new Uint8Array()) };
    case AT.TENSOR: return { kind: 'tensor', v: tensorFromProto(a.t ?? {}, `${what} attribute '${a.name}'`) };
    case AT.FLOATS: return { kind: 'floats', v: [...(a.floats ?? [])] };
    case AT.INTS: return { kind: 'ints', v: (a.ints ?? []).map(toNum) };
    case AT.STRINGS: return { kind: 'strings', v: (a.strings ?? []).map((s) => utf8.decode(s)) };
    default: return { kind: 'other', type };
  }
}

/** NodeProto -> OnnxNode; unnamed nodes get "<OpType>_<index>" (import.ts makes names unique). */
export function decodeNode(p: onnx.INodeProto, index: number): OnnxNode {
  const opType = p.opType ?? '';
  const name = p.name || `${opType}_${index}`;
  const attrs = new Map<string, AttrValue>();
  for (const a of p.attribute ?? []) {
    if (a.name) attrs.set(a.name, decodeAttr(a, `node '${name}' (${opType})`));
  }
  return { name, opType, domain: p.domain ?? '', inputs: [...(p.input ?? [])], outputs: [...(p.output ?? [])], attrs };
}
