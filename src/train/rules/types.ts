import { QNode } from '../../ir/qgraph';
import { LayerUpdate } from '../../ir/scheme';
import { TrainStep } from '../../ir/train';

/** What a gradient rule may ask of the graph builder. */
export interface GradContext {
  /** Does this tensor need a gradient (it depends on an updated parameter)? */
  requiresGrad(tensor: string): boolean;
  /** The gradient buffer of a node's output (exists when the rule is called). */
  gradOf(tensor: string): string;
  /**
   * Steps that deliver `grad` (a finished gradient buffer of the same size) into the
   * gradient of `tensor`, aliasing, copying or accumulating as its other consumers need.
   */
  contribute(tensor: string, grad: string, inPlaceOk: boolean): TrainStep[];
  /** A fresh or accumulating target for a kernel that computes the gradient of `tensor`. */
  target(tensor: string): { buffer: string; accumulate: boolean };
  /**
   * Makes the gradient of `tensor` share `grad`'s bytes when this is its only contribution
   * (for kernels that overwrite their output gradient in place). False when it cannot.
   */
  shareInto(tensor: string, grad: string): boolean;
  /** A scratch buffer of float32 elements, live only during the step that uses it. */
  scratch(name: string, elements: number): string;
  /** Clamp-backward step for a fused activation on this node's output, if any. */
  clampBackward(node: QNode): TrainStep[];
  shapeOf(tensor: string): number[];
  /** The scheme entry for a trainable node, if it is updated. */
  update(node: QNode): LayerUpdate | undefined;
  /** Buffer holding what a weight update reads of the node's input (saved channels or the input). */
  savedInput(node: QNode): string;
}

export interface GradRule<N extends QNode> {
  /** int8 forward tensors the backward of this node reads (kept alive until then). */
  keeps(n: N, ctx: GradContext): string[];
  /** Backward steps, in order: clamp, input gradients (old weights), then updates. */
  backward(n: N, ctx: GradContext): TrainStep[];
}
