// analyze: contribution analysis and sparse-update search under a memory budget.
//  1. Measure the held-out gain of each single option (a layer's bias; its weights at 1/8,
//     1/4, 1/2, 1 with the bias; the biases of the last k layers) with the host build.
//  2. Cost every option with the real planner.
//  3. Search the combination with the largest summed gain that fits the budget.
//  4. Verify the winner by training it with the same protocol: predicted vs measured gain.
//  5. Grow the best measured config one option at a time while a measured neighbour gains.
//  6. Train the leaders with more seeds; the best mean wins.
import * as fs from 'fs';
import * as path from 'path';
import { TinytrainError } from '../errors';
import { Ratio, Scheme } from '../ir/scheme';
import { Rounding } from '../ir/train';
import { PACKAGE_ROOT } from '../paths';
import { Prepared } from '../pipeline/gen';
import { channelCount, LayerChoice, layerInfos, LayerInfo, schemeFromChoices } from '../sparse';
import { VERSION } from '../version';
import { schemeCost, SchemeCost } from './costs';
import { hashOf, measureSchemes, Samples } from './measure';
import { renderAnalysisHtml } from './plot';
import { configKey, emptyConfig, predictedGain, searchScheme } from './search';
import { AnalysisReport, Config, GainTable, LayerGain, WEIGHT_RATIOS, WeightRatio } from './types';

export interface AnalyzeOptions {
  prepared: Prepared;
  /** SRAM budget in bytes (default: the board's SRAM). */
  budget?: number;
  /** Instructions per training step (optional). */
  timeBudget?: number;
  trainSamples: number;
  heldOut: number;
  steps: number;
  seeds: number[];
  lr: number;
  rounding: Rounding;
  /** The scheme file to write; analysis.json/html and the cache go beside it. */
  schemeFile: string;
  jobs: number;
  log?: (line: string) => void;
  onRun?: (done: number, total: number, detail: string) => void;
}

export interface AnalyzeResult { report: AnalysisReport; scheme: Scheme; files: string[] }

const ratioKey = (r: Ratio): string => (r === 1 ? '1' : `1/${1 / r}`);

type Candidate = NonNullable<AnalysisReport['candidates']>[number];
/** Measured refinement: rounds of growing the best config, neighbours trained per round. */
const REFINE_ROUNDS = 4;
const REFINE_WIDTH = 4;
/** Confirmation: the leading candidates, and the extra seeds each trains with. */
const CONFIRM_TOP = 3;
const CONFIRM_SEEDS = 2;

/** k values for the last-k bias sweep: every k up to 8, then a sparser grid, and all. */
export function biasKValues(layers: number): number[] {
  const ks = new Set<number>();
  for (let k = 1; k <= Math.min(8, layers); k++) ks.add(k);
  for (let k = 12; k < layers; k = Math.ceil(k * 1.5)) ks.add(k);
  if (layers > 0) ks.add(layers);
  return [...ks].sort((a, b) => a - b);
}

function configChoices(c: Config, layers: number): Map<number, LayerChoice> {
  const m = new Map<number, LayerChoice>();
  for (let i = 0; i < layers; i++) {
    const r = c.ratios[i] ?? 0;
    const bias = r > 0 || i >= layers - c.biasLastK;
    if (bias || r > 0) m.set(i, { bias, ratio: r });
  }
  return m;
}

/** Our JSON scheme format (sparse/ours.ts), channels included so that gen reproduces them. */
function schemeJson(s: Scheme, description: string): string {
  const layers = s.layers.filter((l) => l.bias || l.weightRatio > 0).map((l) => ({
    layer: l.layer, bias: l.bias, weight_ratio: l.weightRatio,
    ...(l.weightRatio > 0 && l.weightRatio < 1 ? { channels: l.channels } : {}),
  }));
  return `${JSON.stringify({ name: s.name, description, layers }, null, 2)}\n`;
}

/** Hash of the C runtime: a change in a kernel invalidates cached measurements. */
function runtimeHash(): string {
  const parts: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(c|h)$/.test(e.name)) parts.push(p.slice(PACKAGE_ROOT.length), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(path.join(PACKAGE_ROOT, 'firmware'));
  for (const t of ['main.c.hbs', 'model.c.hbs', 'model.h.hbs']) parts.push(fs.readFileSync(path.join(PACKAGE_ROOT, 'templates', t), 'utf8'));
  return hashOf(...parts);
}

export async function analyze(opts: AnalyzeOptions): Promise<AnalyzeResult> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const p = opts.prepared;
  const q = p.qgraph;
  const board = p.board;
  const budget = opts.budget ?? board.memory.sram.size;
  const infos = layerInfos(q);
  const L = infos.length;
  if (L === 0) throw new TinytrainError('the model has no trainable layers (conv or gemm): nothing to analyze', 'E_ANALYZE');
  const need = opts.trainSamples + opts.heldOut;
  if (p.data.train.count < need) {
    throw new TinytrainError(`analysis needs ${need} training samples (${opts.trainSamples} to train, ${opts.heldOut} held out); the dataset has ${p.data.train.count}`, 'E_ANALYZE');
  }
  const all = p.samples('train', need).map(p.quantize);
  const train: Samples = { x: all.slice(0, opts.trainSamples), y: p.data.train.y.slice(0, opts.trainSamples) };
  const held: Samples = { x: all.slice(opts.trainSamples), y: p.data.train.y.slice(opts.trainSamples, need) };

  const dir = path.dirname(path.resolve(opts.schemeFile));
  const base = path.basename(opts.schemeFile).replace(/\.json$/i, '');
  const cacheDir = path.join(dir, '.tinytrain-cache');
  const cacheKey = hashOf(VERSION, runtimeHash(), JSON.stringify(q), ...all, Buffer.from(Int32Array.from([...train.y, ...held.y]).buffer),
    JSON.stringify({ steps: opts.steps, lr: opts.lr, rounding: opts.rounding }));

  // Fail before measuring anything when not even the frozen model fits.
  const frozen = schemeCost(q, schemeFromChoices('none', q, new Map()), board, opts.rounding, budget).sramBytes;
  if (frozen > budget) {
    throw new TinytrainError(`nothing can be trained within the budget of ${budget} B: the firmware without any update needs ${frozen} B (${frozen - budget} B over)`, 'E_BUDGET');
  }

  // 1. Options and their gains.
  const options: { key: string; scheme: Scheme }[] = [];
  const layerOption = new Map<string, { layer: LayerInfo; option: 'bias' | WeightRatio }>();
  const add = (key: string, choices: Map<number, LayerChoice>): void => { options.push({ key, scheme: schemeFromChoices(key, q, choices) }); };
  for (const info of infos) {
    const k = `${info.name} bias`;
    add(k, new Map([[info.index, { bias: true, ratio: 0 }]]));
    layerOption.set(k, { layer: info, option: 'bias' });
    // A ratio that selects as many channels as the next larger one is the same scheme.
    for (let j = 0; j < WEIGHT_RATIOS.length; j++) {
      const r = WEIGHT_RATIOS[j];
      const next = WEIGHT_RATIOS[j + 1];
      if (next !== undefined && channelCount(r, info.inChannels) === channelCount(next, info.inChannels)) continue;
      const key = `${info.name} w${ratioKey(r)}`;
      add(key, new Map([[info.index, { bias: true, ratio: r }]]));
      layerOption.set(key, { layer: info, option: r });
    }
  }
  const ks = biasKValues(L);
  for (const k of ks) add(`last ${k} biases`, new Map(infos.slice(L - k).map((i) => [i.index, { bias: true, ratio: 0 as Ratio }])));
  add('full', new Map(infos.map((i) => [i.index, { bias: true, ratio: 1 as Ratio }])));
  log(`analysis: ${options.length} options x ${opts.seeds.length} seeds, ${opts.steps} steps on ${train.x.length} samples, ${held.x.length} held out, ${opts.jobs} jobs`);
  const tMeasure = Date.now();
  const setup = {
    qgraph: q, board, train, held, steps: opts.steps, lr: opts.lr, rounding: opts.rounding, seeds: opts.seeds,
    workDir: path.join(cacheDir, 'work'), cacheDir, jobs: opts.jobs, cacheKey,
    meta: { modelName: path.basename(p.modelPath), modelPath: p.modelPath, dataDir: p.dataDir, graphNotes: p.graph.notes, normalize: p.data.notes, options: {} },
    onRun: opts.onRun,
  };
  const measured = await measureSchemes(setup, options);
  const gainOf = (key: string): number => measured.results.get(key)!.gain;
  const baseline = measured.results.get('full')!.before;
  const layers: LayerGain[] = infos.map((info) => {
    const weights: Partial<Record<WeightRatio, number>> = {};
    // Skipped ratios take the gain of the larger ratio that selects the same channels.
    for (let j = WEIGHT_RATIOS.length - 1; j >= 0; j--) {
      const r = WEIGHT_RATIOS[j];
      const key = `${info.name} w${ratioKey(r)}`;
      weights[r] = measured.results.has(key) ? gainOf(key) : weights[WEIGHT_RATIOS[j + 1]];
    }
    return { layer: info.name, index: info.index, kind: info.kind, bias: gainOf(`${info.name} bias`), weights };
  });
  const table: GainTable = { baseline, layers, biasLastK: ks.map((k) => ({ k, gain: gainOf(`last ${k} biases`) })) };
  const measureMs = Date.now() - tMeasure;

  // 2. Costs, from the real planner; one cache for the search and the report.
  const tSearch = Date.now();
  const costCache = new Map<string, SchemeCost>();
  const configOf = new Map<string, Config>();
  const costOfConfig = (c: Config): SchemeCost => {
    const key = configKey(c);
    let v = costCache.get(key);
    if (!v) {
      configOf.set(key, c);
      v = schemeCost(q, schemeFromChoices('candidate', q, configChoices(c, L)), board, opts.rounding, budget, false);
      costCache.set(key, v);
    }
    return v;
  };
  const costs: AnalysisReport['costs'] = [...layerOption.entries()].map(([key, o]) => {
    const c = o.option === 'bias'
      ? schemeCost(q, options.find((x) => x.key === key)!.scheme, board, opts.rounding, budget, false)
      : costOfConfig({ biasLastK: 0, ratios: infos.map((x) => (x.index === o.layer.index ? o.option as Ratio : 0)) });
    return { layer: o.layer.name, index: o.layer.index, option: o.option, sramBytes: c.sramBytes, instructions: c.instructions };
  });
  const none = costOfConfig(emptyConfig(L));
  const fullCfg: Config = { biasLastK: L, ratios: infos.map(() => 1 as Ratio) };
  const full = costOfConfig(fullCfg);

  // 3. Search.
  const memory = (c: Config): number => costOfConfig(c).sramBytes;
  const time = (c: Config): number => costOfConfig(c).instructions;
  const chosen = searchScheme(table, memory, { budget, timeBudget: opts.timeBudget, time: opts.timeBudget ? time : undefined, maxEvaluations: 250 });
  // The trade-off curve from every config the search planned (no further planning: on a
  // large model each plan takes a good part of a second).
  const budgets = Array.from({ length: 9 }, (_, i) => Math.round(none.sramBytes + ((Math.min(full.sramBytes, board.memory.sram.size) - none.sramBytes) * (i + 1)) / 9));
  const frontier = frontierOf(table, costCache, configOf, [...new Set([...budgets, budget])].sort((a, b) => a - b));
  const searchMs = Date.now() - tSearch;
  const name = `auto-${Math.round(budget / 1024)}KB`;
  log(`analysis: search chose ${describe(chosen.config, infos)}: predicted +${(100 * chosen.predictedGain).toFixed(1)} points, ${chosen.sramBytes} B of ${budget} B (${chosen.method}, ${chosen.evaluated} plans)`);

  // 4. Gains do not add up exactly, so the search proposes and measurement decides: the
  //    winner and the best frontier points within the budget are trained with the same
  //    protocol, and the best measured config wins; single options that fit (already
  //    measured) compete too.
  const proposals = new Map<string, Config>();
  const trains = (c: Config): boolean => c.biasLastK > 0 || c.ratios.some((r) => r > 0);
  for (const c of [chosen.config, ...frontier.filter((f) => f.sramBytes <= budget).slice(-3).map((f) => f.config)]) if (trains(c)) proposals.set(configKey(c), c);
  const proposed = [...proposals.values()];
  const verify = await measureSchemes(setup, proposed.map((c, i) => ({ key: `proposal ${i}`, scheme: schemeFromChoices(`proposal ${i}`, q, configChoices(c, L)) })));
  let refineRuns = 0;
  let refineCached = 0;
  const candidates: Candidate[] = proposed.map((c, i) => ({
    config: c, predictedGain: predictedGain(table, c) ?? 0, measuredGain: verify.results.get(`proposal ${i}`)!.gain, sramBytes: memory(c), source: i === 0 ? 'search' : 'frontier',
  }));

  const single = (key: string, c: Config): void => {
    if (!measured.results.has(key) || proposals.has(configKey(c))) return;
    const bytes = memory(c);
    if (bytes <= budget && (!opts.timeBudget || time(c) <= opts.timeBudget)) candidates.push({ config: c, predictedGain: predictedGain(table, c) ?? 0, measuredGain: gainOf(key), sramBytes: bytes, source: 'single option' });
  };
  for (const info of infos) {
    for (const r of WEIGHT_RATIOS) single(`${info.name} w${ratioKey(r)}`, { biasLastK: 0, ratios: infos.map((x) => (x.index === info.index ? r : 0)) });
  }
  for (const k of ks) single(`last ${k} biases`, { biasLastK: k, ratios: infos.map(() => 0 as Ratio) });
  if (candidates.length === 0) {
    const cheapest = Math.min(...costs.map((c) => c.sramBytes));
    throw new TinytrainError(`no update fits the budget of ${budget} B: the cheapest option needs ${cheapest} B (${cheapest - budget} B over)`, 'E_BUDGET');
  }
  const order = (a: Candidate, b: Candidate): number => b.measuredGain - a.measuredGain || a.sramBytes - b.sramBytes || configKey(a.config).localeCompare(configKey(b.config));
  candidates.sort(order);

  // 5. Refine by measurement. The additive model overrates combinations of layers that
  //    undo the same shift, and underrates ones that complement each other, so the best
  //    measured config grows one option at a time: a layer's weights at a larger ratio, or
  //    one more bias. The neighbours that fit, most promising by the additive model first,
  //    are trained; the best one that measures better is kept; this repeats until none does.
  const seen = new Set(candidates.map((c) => configKey(c.config)));
  let current = candidates[0];
  for (let round = 0; round < REFINE_ROUNDS; round++) {
    const next: Config[] = [];
    const moves: Config[] = [{ ...current.config, biasLastK: Math.min(L, current.config.biasLastK + 1) }];
    current.config.ratios.forEach((r, i) => {
      for (const w of WEIGHT_RATIOS) if (w > r) moves.push({ ...current.config, ratios: current.config.ratios.map((x, j) => (j === i ? w : x)) });
    });
    for (const c of moves) {
      const key = configKey(c);
      if (seen.has(key)) continue;
      seen.add(key);
      if (memory(c) <= budget && (!opts.timeBudget || time(c) <= opts.timeBudget)) next.push(c);
    }
    const tried = next.sort((a, b) => (predictedGain(table, b) ?? 0) - (predictedGain(table, a) ?? 0)).slice(0, REFINE_WIDTH);
    if (tried.length === 0) break;
    const r = await measureSchemes(setup, tried.map((c, i) => ({ key: `refine ${round}.${i}`, scheme: schemeFromChoices(`refine ${round}.${i}`, q, configChoices(c, L)) })));
    refineRuns += r.stats.runs;
    refineCached += r.stats.cachedRuns;
    const grown = tried.map((c, i): Candidate => ({ config: c, predictedGain: predictedGain(table, c) ?? 0, measuredGain: r.results.get(`refine ${round}.${i}`)!.gain, sramBytes: memory(c), source: 'refined' }));
    candidates.push(...grown);
    const top = [...grown].sort(order)[0];
    if (top.measuredGain <= current.measuredGain) break;
    log(`analysis: refined to ${describe(top.config, infos)}: +${(100 * top.measuredGain).toFixed(1)} points measured, ${top.sramBytes} B`);
    current = top;
  }
  candidates.sort(order);

  // 6. Confirm. Gains move by a few points from seed to seed, and the best of many noisy
  //    measurements is biased upwards, so the leaders train with more seeds and are ranked
  //    by their mean over all of them.
  const confirmSeeds = Array.from({ length: CONFIRM_SEEDS }, (_, i) => Math.max(...opts.seeds) + 1 + i);
  const leaders = candidates.slice(0, CONFIRM_TOP);
  if (leaders.length > 1) {
    const r = await measureSchemes({ ...setup, seeds: confirmSeeds }, leaders.map((c, i) => ({ key: `confirm ${i}`, scheme: schemeFromChoices(`confirm ${i}`, q, configChoices(c.config, L)) })));
    refineRuns += r.stats.runs;
    refineCached += r.stats.cachedRuns;
    const n = opts.seeds.length;
    leaders.forEach((c, i) => { c.measuredGain = (c.measuredGain * n + r.results.get(`confirm ${i}`)!.gain * CONFIRM_SEEDS) / (n + CONFIRM_SEEDS); });
    candidates.sort(order);
  }
  // The search costs arenas at their lower bound; the winner must fit as gen plans it.
  let best = candidates[0];
  let exactBytes = 0;
  for (const c of candidates) {
    exactBytes = schemeCost(q, schemeFromChoices('candidate', q, configChoices(c.config, L)), board, opts.rounding, budget, true).sramBytes;
    best = c;
    if (exactBytes <= budget) break;
  }
  best.sramBytes = exactBytes;
  const winner = { ...chosen, config: best.config, predictedGain: best.predictedGain, sramBytes: exactBytes, instructions: time(best.config) };
  const scheme = schemeFromChoices(name, q, configChoices(best.config, L));
  const measuredGain = best.measuredGain;
  log(`analysis: measured ${candidates.length} candidates; best ${describe(best.config, infos)} (${best.source}): +${(100 * measuredGain).toFixed(1)} points measured, +${(100 * best.predictedGain).toFixed(1)} predicted, ${best.sramBytes} B (full: +${(100 * gainOf('full')).toFixed(1)})`);

  const report: AnalysisReport = {
    model: path.basename(p.modelPath),
    board: board.id,
    budget,
    protocol: { trainSamples: train.x.length, heldOut: held.x.length, steps: opts.steps, seeds: opts.seeds, confirmSeeds: leaders.length > 1 ? confirmSeeds : [], lr: opts.lr, rounding: opts.rounding },
    table,
    costs,
    reference: { noneSramBytes: none.sramBytes, fullSramBytes: full.sramBytes, fullGain: gainOf('full') },
    frontier,
    chosen: { ...winner, scheme: name, measuredGain },
    candidates,
    timing: {
      totalMs: Date.now() - t0, measureMs, searchMs,
      runs: measured.stats.runs + verify.stats.runs + refineRuns, cachedRuns: measured.stats.cachedRuns + verify.stats.cachedRuns + refineCached,
    },
  };
  const predicted = predictedGain(table, best.config);
  if (predicted === null) throw new Error('the search chose a config outside the measured options');
  const description = `tinytrain ${VERSION} analyze: budget ${budget} B on ${board.id}; predicted gain ${(100 * predicted).toFixed(1)} points, measured ${(100 * measuredGain).toFixed(1)} on ${held.x.length} held-out samples`;
  const files = [
    [path.resolve(opts.schemeFile), schemeJson(scheme, description)],
    [path.join(dir, `${base}.analysis.json`), `${JSON.stringify({ ...report, timing: undefined }, null, 2)}\n`],
    [path.join(dir, `${base}.analysis.html`), renderAnalysisHtml({ ...report, timing: undefined })],
  ] as const;
  // The cache keeps results, not the worker projects.
  fs.rmSync(setup.workDir, { recursive: true, force: true });
  for (const [f, content] of files) {
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, content);
  }
  return { report, scheme, files: files.map(([f]) => f) };
}

/** The best planned config at each budget (by predicted gain, then fewer bytes). */
function frontierOf(table: GainTable, costs: Map<string, SchemeCost>, configs: Map<string, Config>, budgets: number[]): AnalysisReport['frontier'] {
  const planned = [...costs.entries()].map(([key, c]) => ({ config: configs.get(key)!, sramBytes: c.sramBytes, gain: predictedGain(table, configs.get(key)!) }))
    .filter((p): p is { config: Config; sramBytes: number; gain: number } => p.gain !== null);
  const out: AnalysisReport['frontier'] = [];
  for (const b of budgets) {
    const fit = planned.filter((p) => p.sramBytes <= b).sort((x, y) => y.gain - x.gain || x.sramBytes - y.sramBytes);
    if (fit.length) out.push({ budget: b, sramBytes: fit[0].sramBytes, predictedGain: fit[0].gain, config: fit[0].config });
  }
  return out;
}

export function describe(c: Config, infos: LayerInfo[]): string {
  const parts: string[] = [];
  if (c.biasLastK) parts.push(`biases of the last ${c.biasLastK} layers`);
  c.ratios.forEach((r, i) => { if (r > 0) parts.push(`${infos[i].name} weights ${ratioKey(r)}`); });
  return parts.length ? parts.join(', ') : 'nothing';
}
