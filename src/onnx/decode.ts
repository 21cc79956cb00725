// ONNX bytes -> ModelProto, with every decoding failure turned into one readable line.
import { onnx } from 'onnx-proto';
import { TinytrainError } from '../errors';
import { tensorFromProto, toNum } from './tensor';
import { AttrValue, OnnxNode } from './types';

/** Decode and sanity-check a ModelProto. `file` names the model in messages. */
export function decodeModel(bytes: Uint8Array, file: string): onnx.ModelProto {
  const bad = (why: string): TinytrainError =>
    new TinytrainError(`${file} is not a valid ONNX model: ${why}`, 'E_ONNX_CORRUPT');
  if (!(bytes instanceof Uint8Array)) throw bad('expected the file\'s bytes');
  if (bytes.byteLength === 0) throw bad('the file is empty');
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
  return model;
}

/** Version of the default ("" / ai.onnx) opset the model imports. */
export function defaultOpset(model: onnx.ModelProto, file: string): number {
  const o = model.opsetImport.find((x) => !x.domain || x.domain === 'ai.onnx');
  if (!o) throw new TinytrainError(`${file} is not a valid ONNX model: it imports no default-domain opset`, 'E_ONNX_CORRUPT');
  return toNum(o.version);
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

/** NodeProto -> OnnxNode; unnamed nodes get "<OpType>_<index>". */
export function decodeNode(p: onnx.INodeProto, index: number): OnnxNode {
  const opType = p.opType ?? '';
  const name = p.name || `${opType}_${index}`;
  const attrs = new Map<string, AttrValue>();
  for (const a of p.attribute ?? []) {
    if (a.name) attrs.set(a.name, decodeAttr(a, `node '${name}' (${opType})`));
  }
  return { name, opType, domain: p.domain ?? '', inputs: [...(p.input ?? [])], outputs: [...(p.output ?? [])], attrs };
}
