// Sparse-update scheme: the output of the sparse/ stage (see DESIGN.md, Sparse-update scheme).
// Trainable layers are the conv and gemm nodes of the QGraph, in graph order, indexed from
// the input (index 0 is the first conv). The classifier is the last one.

export type Ratio = 0 | 0.125 | 0.25 | 0.5 | 1;
export const RATIOS: readonly Ratio[] = [0, 0.125, 0.25, 0.5, 1];

export interface LayerUpdate {
  /** Canonical node name (QGraph node.name). */
  layer: string;
  /** Position among trainable layers, counted from the input, 0-based. */
  index: number;
  /** 'conv' | 'depthwise' | 'pointwise' | 'gemm' (for reports and kernel choice). */
  kind: 'conv' | 'depthwise' | 'pointwise' | 'gemm';
  bias: boolean;
  weightRatio: Ratio;
  /**
   * Input channels whose weights are updated, ascending; empty when weightRatio is 0.
   * For depthwise convs these are the channels; for gemm, input features. Chosen once by
   * the compiler and used everywhere the scheme runs (device, host, analysis).
   */
  channels: number[];
}

export interface Scheme {
  /** e.g. 'none', 'full', 'bias', 'last:2', 'bias+last:2', or a file name. */
  name: string;
  source: 'preset' | 'json' | 'mit';
  /** One entry per trainable layer, frozen ones included (bias false, ratio 0). */
  layers: LayerUpdate[];
  /** How channels were chosen, clamps applied, etc. */
  notes: string[];
}
