// `analyze`: model + data -> scheme.json (+ analysis.json/html beside it). Also what
// `gen --scheme auto` calls.
import * as os from 'os';
import { analyze, AnalyzeResult } from '../analyze';
import { Rounding } from '../ir/train';
import { parseBytes } from '../memory';
import { DEFAULT_LR, DEFAULT_ROUNDING, prepare, Prepared, PrepareOptions } from './gen';

export interface AnalysisProtocol {
  /** Samples the candidates train on, and samples held out to measure the gain (both from the training split). */
  trainSamples?: number;
  heldOut?: number;
  /** Training steps per measurement (default: one pass over trainSamples). */
  steps?: number;
  seeds?: number[];
  jobs?: number;
  timeBudget?: number;
  onRun?: (done: number, total: number, detail: string) => void;
}

export const ANALYSIS_DEFAULTS = { trainSamples: 200, heldOut: 200, seeds: [1, 2] };

export interface AnalyzeCommandOptions extends PrepareOptions, AnalysisProtocol {
  budget?: string | number;
  lr?: number;
  rounding?: Rounding;
  out: string;
}

/** Run the analysis on a prepared model (gen --scheme auto shares its quantized graph). */
export function analyzePrepared(p: Prepared, o: AnalysisProtocol & { budget?: number; lr?: number; rounding?: Rounding; schemeFile: string; log?: (l: string) => void }): Promise<AnalyzeResult> {
  // Unless given, the sizes shrink to half of a small training split each.
  const half = Math.floor(p.data.train.count / 2);
  const trainSamples = o.trainSamples ?? Math.min(ANALYSIS_DEFAULTS.trainSamples, half);
  const heldOut = o.heldOut ?? Math.min(ANALYSIS_DEFAULTS.heldOut, half);
  return analyze({
    prepared: p, budget: o.budget, timeBudget: o.timeBudget,
    trainSamples, heldOut, steps: o.steps ?? trainSamples,
    seeds: o.seeds ?? ANALYSIS_DEFAULTS.seeds, lr: o.lr ?? DEFAULT_LR, rounding: o.rounding ?? DEFAULT_ROUNDING,
    schemeFile: o.schemeFile, jobs: o.jobs ?? Math.max(1, os.cpus().length), log: o.log, onRun: o.onRun,
  });
}

export async function analyzeCommand(opts: AnalyzeCommandOptions): Promise<AnalyzeResult> {
  const trainSamples = opts.trainSamples ?? ANALYSIS_DEFAULTS.trainSamples;
  const heldOut = opts.heldOut ?? ANALYSIS_DEFAULTS.heldOut;
  const p = await prepare({ ...opts, trainSamples: trainSamples + heldOut });
  return analyzePrepared(p, {
    ...opts, budget: opts.budget === undefined ? undefined : parseBytes(String(opts.budget)), schemeFile: opts.out,
  });
}
