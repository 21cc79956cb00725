import { QNode, QTensor } from '../../ir/qgraph';

/** A constant array placed in flash (weights.c). */
export interface CArray {
  name: string;
  ctype: 'int8_t' | 'int32_t' | 'uint16_t' | 'float';
  values: ArrayLike<number>;
  comment: string;
  /** Weights and biases a training scheme may update (then they live in SRAM). */
  role?: 'weight' | 'bias';
  /** Set by codegen for updated parameters: emitted without const, so in SRAM. */
  mutable?: boolean;
}

/** A kernel parameter struct, `static const <ctype> <name> = { .field = value, ... }`. */
export interface CParams {
  name: string;
  ctype: string;
  fields: [string, string | number][];
}

export interface EmitContext {
  /** Unique C identifier for something belonging to this node (e.g. 'weight'). */
  ident(suffix: string): string;
  /** Pointer expression into the arena for a tensor, e.g. `(tt_arena + 784)`. */
  ptr(tensor: string): string;
  /** Arena offset of a tensor (after alias resolution). */
  offset(tensor: string): number;
  tensor(name: string): QTensor;
  /** Sanitized tensor name for comments. */
  label(tensor: string): string;
  /** Pointer expression of the step's arena scratch (the im2col columns of a regular conv), if any. */
  scratch?: string;
}

export interface Emitted {
  arrays: CArray[];
  params: CParams[];
  /** One C statement (a kernel call), or '' for nodes that move no bytes. */
  call: string;
  /** Runtime kernel function used (for the report and the sources list). */
  kernel: string;
  macs: number;
}

export type OpEmitter<N extends QNode> = (n: N, ctx: EmitContext) => Emitted;
