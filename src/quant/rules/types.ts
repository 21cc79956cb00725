import { Node, Shape } from '../../ir/graph';
import { QNode, QTensor } from '../../ir/qgraph';
import { Range } from '../params';

export interface QuantContext {
  /** Parameters of an already-quantized tensor (every input of the node). */
  tensor(name: string): QTensor;
  /** Range observed during calibration. */
  calibrated(name: string): Range;
  shape(name: string): Shape;
  /** Weight-scale headroom factor for a node (1 unless the layer is new). */
  headroom(node: string): number;
}

export interface QuantResult { node: QNode; output: QTensor }
export type QuantRule<N extends Node> = (node: N, ctx: QuantContext) => QuantResult;
