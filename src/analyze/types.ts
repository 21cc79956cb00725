// Contribution analysis (PockEngine's idea) and the sparse-update search: the typed data
// the analyze/ stage passes between its parts. Gains are accuracy differences on a
// held-out split (0.05 = five points), measured by the host build of the generated C.
import { LayerUpdate, Ratio } from '../ir/scheme';

export type WeightRatio = Exclude<Ratio, 0>;
export const WEIGHT_RATIOS: readonly WeightRatio[] = [0.125, 0.25, 0.5, 1];

export interface LayerGain {
  layer: string;
  /** Trainable-layer index (sparse/layers.ts), from the input. */
  index: number;
  kind: LayerUpdate['kind'];
  /** Gain of updating this layer's bias alone. */
  bias: number;
  /** Gain of updating this layer's weights at each ratio, together with its bias. Ratios
   * the analysis skipped (e.g. 1/8 of a layer with fewer than 8 input channels) are absent. */
  weights: Partial<Record<WeightRatio, number>>;
}

export interface GainTable {
  /** Held-out accuracy before any update. */
  baseline: number;
  layers: LayerGain[];
  /** Gain of updating the biases of the last k trainable layers, for the k measured. */
  biasLastK: { k: number; gain: number }[];
}

/**
 * A candidate scheme: biases of the last `biasLastK` layers, plus per-layer weight ratios
 * (ratios[i] for trainable layer i; 0 = frozen weights). A layer with ratio > 0 also
 * updates its bias.
 */
export interface Config {
  biasLastK: number;
  ratios: Ratio[];
}

/** SRAM the whole firmware needs for a config (arena + trainable + state + stack), from the real planner. */
export type MemoryOracle = (c: Config) => number;
/** Instructions per training step for a config. */
export type TimeOracle = (c: Config) => number;

export interface SearchOptions {
  /** SRAM budget in bytes. */
  budget: number;
  /** Optional limit on instructions per training step. */
  timeBudget?: number;
  time?: TimeOracle;
  /** Exhaustive (exact) search when at most this many configs exist; evolutionary beyond. */
  maxExhaustive?: number;
  seed?: number;
}

export interface SearchResult {
  config: Config;
  /** Summed gains of the chosen options (the additive model the search maximizes). */
  predictedGain: number;
  sramBytes: number;
  instructions?: number;
  /** Configs whose memory the search asked the oracle for. */
  evaluated: number;
  method: 'exhaustive' | 'evolutionary';
}

/** One point of the accuracy/memory trade-off: the best config the search finds at a budget. */
export interface FrontierPoint { budget: number; sramBytes: number; predictedGain: number; config: Config }

/** Everything `analyze` found: written as analysis.json and drawn in analysis.html. */
export interface AnalysisReport {
  model: string;
  board: string;
  /** SRAM budget in bytes (the board's SRAM when none was given). */
  budget: number;
  /** Held-out samples, training steps per measurement, seeds averaged. */
  protocol: { trainSamples: number; heldOut: number; steps: number; seeds: number[]; lr: number; rounding: string;
    /** Extra seeds the leading candidates trained with; their measured gains average all seeds. */
    confirmSeeds?: number[] };
  table: GainTable;
  /** SRAM and instructions per training step of each single option, from the real planner. */
  costs: { layer: string; index: number; option: 'bias' | WeightRatio; sramBytes: number; instructions: number }[];
  /** SRAM of the firmware with nothing trained, and with everything trained (full). */
  reference: { noneSramBytes: number; fullSramBytes: number; fullGain?: number };
  frontier: FrontierPoint[];
  chosen: SearchResult & { scheme: string; measuredGain?: number };
  /** Configs trained to decide the winner: predicted (additive) vs measured gain. */
  candidates?: { config: Config; predictedGain: number; measuredGain: number; sramBytes: number; source: 'search' | 'frontier' | 'single option' | 'refined' }[];
  /** Wall times and cache use of this run: printed, not written (the files stay reproducible). */
  timing?: { totalMs: number; measureMs: number; searchMs: number; runs: number; cachedRuns: number };
}
