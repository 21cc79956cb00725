import { QNode, QTensor } from '../../ir/qgraph';
import { CArray, CParams } from '../ops/types';

export interface TrainEmitContext {
  /** The C identifier prefix of a node (shared with its forward parameters). */
  base(node: QNode): string;
  /** Name of a node's weight or bias array (emitted by the forward emitter). */
  paramArray(node: QNode, role: 'weight' | 'bias'): string;
  /** Registers a constant/static array once per name; returns the name. */
  array(a: CArray): string;
  /** Registers a static float array in SRAM (fp32 master copies), filled by tt_model_init. */
  master(name: string, from: string, length: number): string;
  params(p: CParams): string;
  /** The parameter struct of a node's forward call (registered if it is not yet). */
  forwardParams(node: QNode): string;
  ptr(tensor: string): string;
  fptr(tensor: string): string;
  tensor(name: string): QTensor;
  roundingConst: string;
  /** The SRAM slice of a split layer's weights, if it is split. */
  split(node: QNode): { train: string; slot: string; n: number } | undefined;
}
