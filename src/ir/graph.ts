// Float IR: the output of the onnx/ stage. Canonical ops only, topologically sorted,
// shapes inferred, batch fixed to 1, BatchNormalization folded, Relu/Clip fused into the
// producer where it is the producer's only consumer.
//
// Layout contract: every activation is logically NCHW with N = 1 ([1,C,H,W]) or 2-D [1,K].
// The C runtime stores activations in exactly this order (CHW), so Flatten/Reshape are
// free aliases. Weights keep ONNX layout: conv OIHW (depthwise [C,1,kh,kw]), gemm [N,K].

export type Shape = number[];

/** Output activation fused into an op. `clip` covers ReLU6 and any Clip(min,max). */
export type Activation =
  | { kind: 'none' }
  | { kind: 'relu' }
  | { kind: 'clip'; min: number; max: number };

interface NodeBase {
  /** ONNX node name (or a generated one when the node had none); raw, unsanitized. */
  name: string;
  /** ONNX op types this canonical node was built from, for reports and errors. */
  from: string[];
  inputs: string[];
  output: string;
}

export interface ConvNode extends NodeBase {
  op: 'conv';
  weight: Float32Array;                        // OIHW
  weightShape: [number, number, number, number];
  bias: Float32Array;                          // [O], zeros when the model had none
  strides: [number, number];
  pads: [number, number, number, number];      // top, left, bottom, right
  group: number;                               // 1 regular, == C_in depthwise, else grouped
  act: Activation;
}

/** Fully connected: y[1,N] = x[1,K] · Wᵀ + b (Gemm with transB, or MatMul with a constant). */
export interface GemmNode extends NodeBase {
  op: 'gemm';
  weight: Float32Array;                        // [N, K] row-major
  weightShape: [number, number];
  bias: Float32Array;                          // [N]
  act: Activation;
}

/** Elementwise add of two same-shaped activations (residual). */
export interface AddNode extends NodeBase { op: 'add'; act: Activation; }

/** Standalone Relu / Clip that could not be fused (e.g. a consumer of a shared tensor). */
export interface ActNode extends NodeBase { op: 'act'; act: Activation; }

export interface PoolNode extends NodeBase {
  op: 'avgpool' | 'maxpool';
  kernel: [number, number];
  strides: [number, number];
  pads: [number, number, number, number];      // top, left, bottom, right
  /** AveragePool divisor counts padded cells (PyTorch's default count_include_pad=True). */
  countIncludePad: boolean;
}

/** GlobalAveragePool or ReduceMean over axes (2,3). Output [1,C,1,1] or [1,C]. */
export interface GlobalAvgPoolNode extends NodeBase { op: 'gap'; }

/** Flatten / Reshape to 2-D / Identity after canonicalization: same bytes, new shape. */
export interface ReshapeNode extends NodeBase { op: 'reshape'; }

export type Node = ConvNode | GemmNode | AddNode | ActNode | PoolNode | GlobalAvgPoolNode | ReshapeNode;
export type OpKind = Node['op'];

export interface Graph {
  name: string;
  /** Single image input, [1,C,H,W]. */
  input: { name: string; shape: Shape };
  /** The logits tensor, [1,classes] (or [1,classes,1,1]). */
  output: string;
  nodes: Node[];
  /** Shape of every activation tensor, input and output included. */
  shapes: Record<string, Shape>;
  opsetVersion: number;
  producer: string;
  /** Facts the report must show, e.g. "symbolic batch dimension 'batch' fixed to 1". */
  notes: string[];
}
