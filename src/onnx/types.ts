// Internal types of the onnx/ stage: decoded ONNX nodes and constants, and the "work"
// graph (canonical IR nodes plus a few transient kinds that the fusion passes remove).
import { Activation, Node, Shape } from '../ir/graph';
import { TinytrainError, ErrorCode } from '../errors';

/** A constant tensor (initializer, Constant node or folded shape arithmetic).
 *  Float64 holds every float32 and every int64 that occurs in practice exactly. */
export interface ConstTensor {
  dims: number[];
  values: Float64Array;
  /** onnx.TensorProto.DataType of the source, kept so folding knows int from float. */
  dataType: number;
}

export type AttrValue =
  | { kind: 'float'; v: number }
  | { kind: 'int'; v: number }
  | { kind: 'string'; v: string }
  | { kind: 'tensor'; v: ConstTensor }
  | { kind: 'floats'; v: number[] }
  | { kind: 'ints'; v: number[] }
  | { kind: 'strings'; v: string[] }
  | { kind: 'other'; type: number };

/** An ONNX node, decoded: Long -> number, attributes by name. */
export interface OnnxNode {
  name: string;           // generated "<OpType>_<index>" when the model has none
  opType: string;
  domain: string;
  inputs: string[];       // '' marks an omitted optional input
  outputs: string[];
  attrs: Map<string, AttrValue>;
}

interface WorkBase { name: string; from: string[]; inputs: string[]; output: string; }

/** BatchNormalization as a per-channel affine y = x·scale + shift; folded into its producer. */
export interface BnWork extends WorkBase { op: 'bn'; scale: Float64Array; shift: Float64Array; }
/** Zero padding of H/W; folded into the consuming conv/pool. */
export interface PadWork extends WorkBase { op: 'pad'; pads: [number, number, number, number]; }
/** Add of a per-channel constant; folded into the producing gemm/conv bias. */
export interface BiasWork extends WorkBase { op: 'bias'; bias: Float64Array; }
/** Identity / Dropout / zero Pad / unbounded Clip: removed by renaming. */
export interface IdentityWork extends WorkBase { op: 'identity'; }

export type WorkNode = Node | BnWork | PadWork | BiasWork | IdentityWork;
export type WorkOp = WorkNode['op'];

/** What an op rule turns one ONNX node into. */
export type Lowering =
  /** `shape`: the output shape when the node alone cannot say it (reshape, keepdims=0 gap). */
  | { kind: 'node'; node: WorkNode; shape?: Shape }
  /** Folded at import time: one constant per ONNX output. */
  | { kind: 'const'; values: ConstTensor[] };

/** Read-only view of the import state that op rules lower against. */
export interface LowerContext {
  readonly opset: number;
  /** Constant value of a tensor (initializer, Constant output, folded), else undefined. */
  constant(name: string): ConstTensor | undefined;
  /** Static shape of an activation tensor, else undefined. */
  shape(name: string): Shape | undefined;
}

/** Import rule for one ONNX op type (or a small family). */
export interface OpRule {
  lower(n: OnnxNode, ctx: LowerContext): Lowering;
}

export type { Activation, Shape };

/** Error about one node: names the node and its op type, as the CLI shows it. */
export function nodeError(n: { name: string; opType?: string; from?: string[] }, problem: string,
                          code: ErrorCode = 'E_UNSUPPORTED_ATTR'): TinytrainError {
  const op = n.opType ?? (n.from ?? []).join('+');
  return new TinytrainError(`node '${n.name}' (${op}): ${problem}`, code);
}
