// Training graph: the output of the train/ stage. A fixed list of steps (forward ops,
// saves for backward, loss, backward ops, fused updates) over named buffers, pruned and
// ordered for one sparse-update scheme. The memory planner and codegen read it as is.
import { QAvgPool, QConv, QGemm, QGraph, QNode } from './qgraph';
import { LayerUpdate, Scheme } from './scheme';

export type BufferKind = 'input' | 'activation' | 'output' | 'saved' | 'mask' | 'grad' | 'scratch';

export interface TrainBuffer {
  name: string;
  kind: BufferKind;
  /** int8 activations/saves, bytes of a bit mask, float32 gradients. */
  dtype: 'int8' | 'bits' | 'float32';
  elements: number;
  bytes: number;
}

/** How a weight/bias update rounds its fractional part (DESIGN.md, Numerics). */
export type Rounding = 'nearest' | 'stochastic' | 'master';

export type TrainStep =
  /** A forward op, exactly as inference runs it. */
  | { kind: 'forward'; node: QNode; scratch?: string }
  /** Copy the selected channels of an int8 tensor for a partial-channel update. */
  | { kind: 'save'; from: string; to: string; channels: number[]; plane: number; layer: string }
  /** 1-bit mask of lo < q < hi over an int8 tensor, for a clamp's backward. */
  | { kind: 'mask'; from: string; to: string; lo: number; hi: number; elements: number }
  /** Softmax cross-entropy on the dequantized logits; writes d(loss)/d(logits). */
  | { kind: 'loss'; logits: string; grad: string }
  /** Zero a gradient where the forward clamp was active: from a mask or the saved int8 output. */
  | { kind: 'clamp_backward'; grad: string; source: string; sourceKind: 'mask' | 'int8'; lo: number; hi: number; elements: number }
  /** Gradient to one input of a node (conv/gemm transposed product, pool backward). */
  | { kind: 'backward_input'; node: QNode; gradOut: string; gradIn: string; accumulate: boolean; saved?: string; inPlaceScratch?: string }
  /** dst = src (accumulate false) or dst += src. */
  | { kind: 'grad_copy'; src: string; dst: string; accumulate: boolean; elements: number }
  /** Fused weight gradient + QAS update of the selected input channels. */
  | { kind: 'update_weight'; node: QConv | QGemm; layer: LayerUpdate; saved: string; gradOut: string }
  /** Bias gradient + QAS update. */
  | { kind: 'update_bias'; node: QConv | QGemm; layer: LayerUpdate; gradOut: string }
  /** Backward through `source` (a depthwise conv, or a global average pool) and the conv
   * `producer` before it, one channel plane at a time (train/stream.ts): the full input
   * gradient of `source` never exists. */
  | {
      kind: 'stream_backward'; source: QConv | QAvgPool; producer: QConv; gradOut: string; plane: string;
      clamp?: { source: string; sourceKind: 'mask' | 'int8'; lo: number; hi: number };
      gradIn?: { buffer: string; accumulate: boolean };
      weight?: { layer: LayerUpdate; saved: string };
      bias?: LayerUpdate;
      /** P's input gradient streamed too, one channel plane of P's input at a time into
       * `plane` (D's planes recomputed per channel), consumed by the conv `node` before P:
       * its clamp and its weight and bias updates. P's input gradient never exists whole;
       * `gradIn` is then absent. */
      next?: {
        node: QConv; plane: string;
        clamp?: { source: string; sourceKind: 'mask' | 'int8'; lo: number; hi: number };
        weight?: { layer: LayerUpdate; saved: string };
        bias?: LayerUpdate;
        /** P's input (`node`'s output) is not kept from the forward pass: each channel is
         * recomputed by `node`'s forward from its input (which `node`'s weight update keeps
         * anyway) into `plane` (int8), for `node`'s clamp and P's weight update. `saved` of
         * P's weight and the clamp's source are then not read. */
        recompute?: { plane: string };
      };
    }
  /** Tiled frozen prefix: copy a spatial region of a CHW tensor into a contiguous tile. */
  | { kind: 'tile_copy'; from: string; to: string; channels: number; srcH: number; srcW: number; y0: number; x0: number; h: number; w: number }
  /** A forward op on one tile: tensors are read from and written to tile buffers whose
   * shapes are given; `node` carries the tile's own padding. */
  | { kind: 'tile_forward'; node: QNode; tile: number; buffers: Record<string, string>; shapes: Record<string, number[]>; scratch?: string }
  /** Write a finished tile into its region of the full segment output. */
  | { kind: 'tile_place'; from: string; to: string; channels: number; h: number; w: number; dstH: number; dstW: number; y0: number; x0: number };

export type TrainStepKind = TrainStep['kind'];

export interface TrainGraph {
  qgraph: QGraph;
  scheme: Scheme;
  /** Forward steps come first (with saves and masks right after their producers), then loss, backward and updates. */
  steps: TrainStep[];
  buffers: TrainBuffer[];
  /** Buffer -> the buffer whose bytes it shares (reshape, in-place gradients). */
  aliases: Record<string, string>;
  /** Trainable layers that change on the device (bias and/or weights in SRAM). */
  updated: LayerUpdate[];
  rounding: Rounding;
  /** Index of the first step that is not forward/save/mask (the loss). */
  lossStep: number;
  /** Tiled execution of the frozen prefix, when chosen. */
  tiling?: { segment: string[]; output: string; grid: [number, number]; tiles: number };
  notes: string[];
}
