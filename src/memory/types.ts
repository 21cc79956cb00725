// Memory planning input and output. The planner sees only a fixed schedule of steps and
// the tensors they read and write, so forward, backward and update ops all plan alike.

export type TensorKind = 'input' | 'activation' | 'output' | 'saved' | 'mask' | 'grad' | 'scratch';

export interface PlanTensor {
  name: string;
  bytes: number;
  kind: TensorKind;
  /** Written before the first step (e.g. the sample loaded by main). */
  liveAtStart?: boolean;
  /** Read after the last step (e.g. the logits read by main). */
  liveAtEnd?: boolean;
}

export interface PlanStep {
  label: string;
  reads: string[];
  writes: string[];
}

export interface PlanInput {
  tensors: PlanTensor[];
  steps: PlanStep[];
  /** Tensor -> the tensor whose bytes it shares (reshape, in-place ops). */
  aliases: Record<string, string>;
  alignment: number;
}

export interface PlacedBuffer {
  name: string;
  kind: TensorKind;
  bytes: number;
  offset: number;
  /** First and last step (inclusive) during which the bytes must be kept. */
  first: number;
  last: number;
}

/** What the planner did (all deterministic: counts, never times). */
export interface PlanSearchStats {
  /** Connected components of the conflict graph, each planned on its own. */
  components: number;
  /** Arena of the best greedy placement (per component, the best of the greedy orders). */
  greedyBytes: number;
  /** Components searched beyond the greedy orders. */
  searched: number;
  /** Components placed by the exact search (at the lower bound or at a size in between), and
   *  components where it proved the lower bound unreachable. */
  exactFound: number;
  exactInfeasible: number;
  /** Local search totals. */
  iterations: number;
  accepted: number;
  improvements: number;
  /** Work spent by the searches, in elementary steps (a few ns each). */
  work: number;
}

export interface Plan {
  arenaBytes: number;
  lowerBoundBytes: number;
  /** Step at which the lower bound is reached and the tensors live there. */
  peakStep: number;
  liveAtPeak: string[];
  buffers: PlacedBuffer[];
  /** Alias -> base buffer; an alias has the base's offset. */
  aliases: Record<string, string>;
  /**
   * How the component that sets the arena was placed: a greedy order's name, that name with
   * '+local-search', 'exact' (exact search at the lower bound) or 'exact-bisection'.
   */
  strategy: string;
  search?: PlanSearchStats;
}
