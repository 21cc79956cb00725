// Quantized IR: the output of the quant/ stage (see ../shared/DESIGN.md, Numerics).
// Activations int8 per-tensor affine (real = scale·(q − zeroPoint)); weights int8
// symmetric per output channel; bias int32 at scale s_x·s_w[c]; requantization by
// (multiplier, shift) pairs with TFLite double rounding (shift > 0 is a left shift).
import { Activation, Shape } from './graph';

export interface QTensor {
  name: string;          // ONNX tensor name, raw
  shape: Shape;          // logical NCHW, N = 1
  scale: number;
  zeroPoint: number;     // in [-128, 127]
  /** Float range observed during calibration (after any fused activation). */
  min: number;
  max: number;
}

interface QNodeBase {
  name: string;
  from: string[];
  inputs: string[];
  output: string;
}

export interface QConv extends QNodeBase {
  op: 'conv';
  weight: Int8Array;                           // OIHW
  weightShape: [number, number, number, number];
  weightScale: Float32Array;                   // [O]
  bias: Int32Array;                            // [O], scale s_x·s_w[o], zp 0
  multiplier: Int32Array;                      // [O]
  shift: Int32Array;                           // [O]
  strides: [number, number];
  pads: [number, number, number, number];
  group: number;
  act: Activation;                             // kept for the backward mask
  actMin: number;                              // int8 output clamp (fused activation)
  actMax: number;
}

/** Which int8 kernel family a conv runs on: depthwise (groups == in_c == out_c), pointwise
 * (1x1, stride 1, unpadded, groups 1) or regular (everything else). */
export function convKind(n: QConv, inC: number): 'depthwise' | 'pointwise' | 'regular' {
  const [o, , kh, kw] = n.weightShape;
  if (n.group === inC && o === inC && n.group > 1) return 'depthwise';
  const unpadded = n.pads.every((p) => p === 0);
  if (n.group === 1 && kh === 1 && kw === 1 && n.strides[0] === 1 && n.strides[1] === 1 && unpadded) return 'pointwise';
  return 'regular';
}

/** Bytes of the optimized regular conv's im2col scratch: two int16 columns of
 * in_c/groups·kh·kw taps, rounded up to an even count (TT_IM2COL_BYTES in tt_kernels.h). */
export function im2colBytes(n: QConv): number {
  const [, ipg, kh, kw] = n.weightShape;
  const k = ipg * kh * kw;
  return 4 * (k + (k & 1));
}

/**
 * A partially updated pointwise, depthwise or fully connected layer keeps only the updated
 * slice of its weights in SRAM (the rest stays in flash); other layers move whole.
 */
export function splitWeights(n: QConv | QGemm, weightRatio: number, inC: number): boolean {
  if (weightRatio <= 0 || weightRatio >= 1) return false;
  if (n.op === 'gemm') return true;
  const [outC, , kh, kw] = n.weightShape;
  const depthwise = n.group > 1 && n.group === inC && outC === inC;
  const pointwise = n.group === 1 && kh === 1 && kw === 1 && n.strides.every((s) => s === 1) && n.pads.every((p) => p === 0);
  return depthwise || pointwise;
}

export interface QGemm extends QNodeBase {
  op: 'gemm';
  weight: Int8Array;                           // [N, K]
  weightShape: [number, number];
  weightScale: Float32Array;                   // [N]
  bias: Int32Array;
  multiplier: Int32Array;
  shift: Int32Array;
  act: Activation;
  actMin: number;
  actMax: number;
}

/** TFLite-style int8 add: both inputs rescaled to a shared scale with leftShift headroom. */
export interface QAdd extends QNodeBase {
  op: 'add';
  leftShift: number;                           // 20, as TFLite
  inputMultiplier: [number, number];
  inputShift: [number, number];
  outputMultiplier: number;
  outputShift: number;
  act: Activation;
  actMin: number;
  actMax: number;
}

/** Standalone activation: requantize to the output tensor's parameters and clamp. */
export interface QAct extends QNodeBase {
  op: 'act';
  act: Activation;
  multiplier: number;
  shift: number;
  actMin: number;
  actMax: number;
}

/** Average pooling (windowed or global): sum(q − zp_in) requantized by s_in/(s_out·count). */
export interface QAvgPool extends QNodeBase {
  op: 'avgpool' | 'gap';
  kernel: [number, number];                    // gap: [H, W]
  strides: [number, number];
  pads: [number, number, number, number];
  countIncludePad: boolean;
  /** Multiplier for the full window; a partial window (no count_include_pad) divides by its own count in C. */
  multiplier: number;
  shift: number;
}

/** Max pooling keeps the input's quantization parameters. */
export interface QMaxPool extends QNodeBase {
  op: 'maxpool';
  kernel: [number, number];
  strides: [number, number];
  pads: [number, number, number, number];
}

/** Reshape/flatten: aliases its input's bytes and quantization parameters. */
export interface QReshape extends QNodeBase { op: 'reshape'; }

export type QNode = QConv | QGemm | QAdd | QAct | QAvgPool | QMaxPool | QReshape;
export type QOpKind = QNode['op'];

export interface QGraph {
  name: string;
  input: string;
  output: string;
  nodes: QNode[];
  tensors: Record<string, QTensor>;
  notes: string[];
}
