// Measuring what a scheme gains: the host build of the generated C trains it for a fixed
// number of steps on the analysis samples and evaluates a held-out split before and after,
// so every figure is what the device would do (int8, QAS, the configured rounding).
//  - Frozen layers before the first updated one are computed once per sample: a prefix
//    program writes the int8 tensor at the deepest single-tensor cut, and each candidate
//    trains the suffix graph fed with it.
//  - Runs go to `jobs` worker folders in parallel; regenerating a worker's project keeps
//    unchanged files, so make recompiles only the model and main.
//  - Every run's result is cached on disk under a key of everything that determines it.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Board } from '../boards';
import { copyRuntime, writeIfChanged } from '../codegen/platform';
import { packSamples } from '../data';
import { TinytrainError } from '../errors';
import { QGraph } from '../ir/qgraph';
import { Scheme } from '../ir/scheme';
import { Rounding } from '../ir/train';
import { generateFromQuantized, ProjectSpec } from '../pipeline/gen';
import { resolveScheme } from '../sparse';
import { buildAsync, runHost } from '../toolchain';
import { mulberry32 } from '../numeric';
import { Cut, cutBefore, cutPoints, prefixGraph, suffixGraph } from './slice';

export interface Samples { x: Int8Array[]; y: Int32Array }

export interface MeasureSetup {
  qgraph: QGraph;
  board: Board;
  train: Samples;
  held: Samples;
  steps: number;
  lr: number;
  rounding: Rounding;
  seeds: number[];
  workDir: string;
  cacheDir: string;
  jobs: number;
  /** Hash of the model, the samples and the options: part of every cache key. */
  cacheKey: string;
  meta: ProjectSpec['meta'];
  /** Run every candidate on the whole graph (no cached prefix): for tests and comparisons. */
  wholeGraph?: boolean;
  /** Called after each run, cached or not. */
  onRun?: (done: number, total: number, detail: string) => void;
}

export interface Measurement {
  /** Held-out accuracy before and after training, averaged over the seeds. */
  before: number;
  after: number;
  gain: number;
  perSeed: number[];
  /** Runs served from the cache. */
  cached: number;
}

export interface MeasureStats { runs: number; cachedRuns: number; prefixRuns: number }

export function hashOf(...parts: (string | ArrayBufferView)[]): string {
  const h = createHash('sha256');
  for (const p of parts) { h.update(typeof p === 'string' ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength)); h.update('\0'); }
  return h.digest('hex').slice(0, 24);
}

/** Index in q.nodes of the first node a scheme updates. */
function firstUpdated(q: QGraph, s: Scheme): number {
  const names = new Set(s.layers.filter((l) => l.bias || l.weightRatio > 0).map((l) => l.layer));
  const i = q.nodes.findIndex((n) => names.has(n.name));
  if (i < 0) throw new TinytrainError(`scheme '${s.name}' updates nothing: there is no gain to measure`, 'E_ANALYZE');
  return i;
}

/** Deterministic shuffle (mulberry32) so each seed sees the samples in its own order. */
function permutation(n: number, seed: number): number[] {
  const rand = mulberry32(seed * 0x9e3779b9);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** Runs `tasks` on `jobs` workers, each with its own index. */
async function pool<T>(tasks: T[], jobs: number, run: (t: T, worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (w: number): Promise<void> => {
    while (next < tasks.length) {
      const t = tasks[next++];
      await run(t, w);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, tasks.length)) }, (_, w) => worker(w)));
}

function readJson<T>(file: string): T | undefined {
  try { return JSON.parse(fs.readFileSync(file, 'utf8')) as T; } catch { return undefined; }
}

function writeAtomic(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

/** Generate, build (host) and run one project in a worker folder; returns its events. */
async function runProject(dir: string, spec: ProjectSpec): Promise<Awaited<ReturnType<typeof runHost>>> {
  const { project } = generateFromQuantized(spec);
  for (const f of project.files) writeIfChanged(path.join(dir, f.path), f.content);
  copyRuntime(dir);
  await buildAsync(dir, { target: 'host', jobs: 1, printLogits: spec.printLogits });
  const r = await runHost(dir, { timeoutSec: 3600 });
  if (r.exitCode !== 0) {
    const msg = r.error?.message ?? r.fault?.message ?? r.stderr.trim().split('\n').pop() ?? '';
    throw new TinytrainError(`analysis run in ${dir} exited with ${r.exitCode}: ${String(msg)}`, 'E_ANALYZE');
  }
  return r;
}

function specFor(setup: MeasureSetup, q: QGraph, scheme: Scheme, samples: Buffer, evalSamples: number, steps: number, seed: number): ProjectSpec {
  return {
    qgraph: q, scheme, board: setup.board, samples, evalSamples,
    training: { steps, evalEvery: 0, lr: setup.lr, cosine: false, seed, evalAtStart: false },
    rounding: setup.rounding, tiling: 'off', checkFit: false, printLogits: false,
    meta: setup.meta,
  };
}

/**
 * The int8 tensor at each needed cut, for the training samples then the held-out ones,
 * from the host build of the prefix graph (cached on disk).
 */
async function prefixActivations(setup: MeasureSetup, cuts: Cut[], stats: MeasureStats): Promise<Map<number, Samples & { heldX: Int8Array[] }>> {
  const out = new Map<number, Samples & { heldX: Int8Array[] }>();
  const all = [...setup.train.x, ...setup.held.x];
  const labels = Int32Array.from([...setup.train.y, ...setup.held.y]);
  const nTrain = setup.train.x.length;
  const todo: Cut[] = [];
  for (const cut of cuts) {
    if (cut.at === 0) {
      out.set(0, { x: setup.train.x, y: setup.train.y, heldX: setup.held.x });
      continue;
    }
    const file = path.join(setup.cacheDir, `act-${hashOf(setup.cacheKey, cut.tensor)}.bin`);
    const len = setup.qgraph.tensors[cut.tensor].shape.reduce((a, b) => a * b, 1);
    if (fs.existsSync(file) && fs.statSync(file).size === len * all.length) {
      const buf = fs.readFileSync(file);
      const xs = Array.from({ length: all.length }, (_, i) => new Int8Array(buf.buffer, buf.byteOffset + i * len, len));
      out.set(cut.at, { x: xs.slice(0, nTrain), y: setup.train.y, heldX: xs.slice(nTrain) });
    } else todo.push(cut);
  }
  let done = 0;
  await pool(todo, setup.jobs, async (cut, w) => {
    const q = prefixGraph(setup.qgraph, cut);
    const len = q.tensors[cut.tensor].shape.reduce((a, b) => a * b, 1);
    const samples = packSamples({ x: [], y: [] }, { x: all, y: labels }, all[0].length);
    const dir = path.join(setup.workDir, `prefix${w}`);
    const r = await runProject(dir, { ...specFor(setup, q, resolveScheme('none', q), samples, all.length, 0, 1), printLogits: true });
    const xs: Int8Array[] = new Array(all.length);
    for (const e of r.events) {
      if (e.event !== 'logits') continue;
      const i = e.i as number;
      if (xs[i] === undefined) xs[i] = Int8Array.from(e.q as number[]);
    }
    if (xs.some((x) => x === undefined || x.length !== len)) throw new TinytrainError(`analysis prefix run for '${cut.tensor}' returned ${xs.filter(Boolean).length} of ${all.length} samples`, 'E_ANALYZE');
    const buf = Buffer.alloc(len * all.length);
    xs.forEach((x, i) => buf.set(new Uint8Array(x.buffer, x.byteOffset, x.length), i * len));
    writeAtomic(path.join(setup.cacheDir, `act-${hashOf(setup.cacheKey, cut.tensor)}.bin`), buf);
    stats.prefixRuns++;
    out.set(cut.at, { x: xs.slice(0, nTrain), y: setup.train.y, heldX: xs.slice(nTrain) });
    setup.onRun?.(++done, todo.length, `frozen layers up to ${cut.tensor}`);
  });
  return out;
}

/**
 * Held-out accuracy with nothing trained: the same for every candidate (the int8 forward
 * is exact at any cut), so it is measured once, on the whole graph.
 */
async function baseline(setup: MeasureSetup, stats: MeasureStats): Promise<number> {
  const file = path.join(setup.cacheDir, `baseline-${hashOf(setup.cacheKey)}.json`);
  const c = readJson<{ accuracy: number }>(file);
  if (c && typeof c.accuracy === 'number') return c.accuracy;
  const q = setup.qgraph;
  const samples = packSamples({ x: [], y: [] }, setup.held, setup.held.x[0].length);
  const r = await runProject(path.join(setup.workDir, 'w0'), specFor(setup, q, resolveScheme('none', q), samples, setup.held.x.length, 0, 1));
  const ev = r.events.find((e) => e.event === 'eval');
  if (!ev) throw new TinytrainError('analysis baseline run printed no evaluation', 'E_ANALYZE');
  writeAtomic(file, JSON.stringify({ accuracy: ev.accuracy }));
  stats.runs++;
  return ev.accuracy as number;
}

/** Gain of each scheme (keyed by the caller), averaged over the seeds. */
export async function measureSchemes(setup: MeasureSetup, schemes: { key: string; scheme: Scheme }[]): Promise<{ results: Map<string, Measurement>; stats: MeasureStats }> {
  const q = setup.qgraph;
  const cuts = cutPoints(q);
  const cutOf = new Map(schemes.map((s) => [s.key, setup.wholeGraph ? cuts[0] : cutBefore(cuts, firstUpdated(q, s.scheme))]));
  const stats: MeasureStats = { runs: 0, cachedRuns: 0, prefixRuns: 0 };
  const acts = await prefixActivations(setup, [...new Map([...cutOf.values()].map((c) => [c.at, c])).values()], stats);
  type Task = { key: string; scheme: Scheme; seed: number; file: string };
  const tasks: Task[] = [];
  for (const s of schemes) {
    for (const seed of setup.seeds) {
      const choice = JSON.stringify(s.scheme.layers.map((l) => [l.layer, l.bias, l.weightRatio, l.channels]));
      const file = path.join(setup.cacheDir, `run-${hashOf(setup.cacheKey, choice, String(seed), setup.wholeGraph ? 'whole' : 'cut')}.json`);
      // A cached result carries its own `before`; a fresh one takes the shared baseline.
      tasks.push({ key: s.key, scheme: s.scheme, seed, file });
    }
  }
  const before = await baseline(setup, stats);
  const got = new Map<Task, { before: number; after: number; cached: boolean }>();
  let done = 0;
  const pending: Task[] = [];
  for (const t of tasks) {
    const c = readJson<{ before: number; after: number }>(t.file);
    if (c && typeof c.before === 'number' && typeof c.after === 'number') {
      got.set(t, { ...c, cached: true });
      stats.cachedRuns++;
      setup.onRun?.(++done, tasks.length, `${t.key} (cached)`);
    } else pending.push(t);
  }
  await pool(pending, setup.jobs, async (t, w) => {
    const cut = cutOf.get(t.key)!;
    const a = acts.get(cut.at)!;
    const sq = suffixGraph(q, cut);
    const order = permutation(a.x.length, t.seed);
    const samples = packSamples({ x: order.map((i) => a.x[i]), y: order.map((i) => a.y[i]) }, { x: a.heldX, y: setup.held.y }, a.x[0].length);
    const r = await runProject(path.join(setup.workDir, `w${w}`), specFor(setup, sq, t.scheme, samples, a.heldX.length, setup.steps, t.seed));
    const evals = r.events.filter((e) => e.event === 'eval');
    if (evals.length < 1) throw new TinytrainError(`analysis run for ${t.key} printed no evaluation`, 'E_ANALYZE');
    const res = { before, after: evals[evals.length - 1].accuracy as number };
    writeAtomic(t.file, JSON.stringify(res));
    got.set(t, { ...res, cached: false });
    stats.runs++;
    setup.onRun?.(++done, tasks.length, t.key);
  });
  const results = new Map<string, Measurement>();
  for (const s of schemes) {
    const mine = tasks.filter((t) => t.key === s.key).map((t) => got.get(t)!);
    const mean = (f: (m: { before: number; after: number }) => number): number => mine.reduce((acc, m) => acc + f(m), 0) / mine.length;
    results.set(s.key, {
      before: mean((m) => m.before), after: mean((m) => m.after), gain: mean((m) => m.after - m.before),
      perSeed: mine.map((m) => m.after - m.before), cached: mine.filter((m) => m.cached).length,
    });
  }
  return { results, stats };
}
