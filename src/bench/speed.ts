// Instructions per inference and per training step in QEMU (mps2-an500, -icount shift=0 with
// SysTick: exact and repeatable) for the zoo models and the bundled one, under the schemes
// none, bias, MIT's and full; the optimized Cortex-M kernels against the portable C, a
// per-layer breakdown from a profile build (-DTT_PROFILE), sparse/full ratios and TTE's
// published latency beside ours. Schemes whose plan does not fit the STM32F746 run on the
// emulator-only mps2-an500 board (same core and flags, 4 MB SRAM) and are marked.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PACKAGE_ROOT } from '../paths';
import { gen } from '../pipeline/gen';
import { buildProject, emulateProject } from '../pipeline/run';
import { KernelSample, writeKernelCosts } from '../analyze/kernel-costs';
import { writeRandomImages } from './memory';

/** TTE's measured latency per training step on a 216 MHz Cortex-M7 (ANCHORS.md). */
const TTE_MS: Record<string, number> = { 'mcunet-5fps/49kb': 546, 'mbv2-w0.35/99kb': 373, 'proxyless-w0.3/98kb': 443 };
const TTE_HZ = 216e6;

export interface LayerCost { layer: string; kernels: string[]; inference: number; forward: number; backward: number; update: number }

export interface SpeedRow {
  model: string; scheme: string; board: string; emulator_only: boolean;
  inference: { optimized: number; portable: number; portable_over_optimized: number };
  train_step: { optimized: number; portable: number; portable_over_optimized: number } | null;
  /** The optimized step of full / this step (same model). */
  full_over_this: number | null;
  phases: { forward: number; loss: number; backward: number; update: number } | null;
  layers: LayerCost[];
  tte: { ms: number; cycles: number; note: string } | null;
  /** Both builds gave the same logits and trained weights. */
  identical: boolean;
}

interface ProfileLine { call: number; what: string; instructions: number; runs: number }

export async function speedBench(log: (s: string) => void, opts: { models?: string[]; record?: string } = {}): Promise<SpeedRow[]> {
  const zoo = path.join(PACKAGE_ROOT, 'models', 'zoo');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-bench-speed-'));
  const rows: SpeedRow[] = [];
  const samples: KernelSample[] = [];
  try {
    const data = path.join(work, 'data');
    writeRandomImages(data, 4);
    const models = opts.models ?? ['mcunet-5fps', 'mbv2-w0.35', 'proxyless-w0.3', 'default'];
    for (const model of models) {
      const isDefault = model === 'default';
      const mit = isDefault ? [] : fs.readdirSync(path.join(zoo, 'schemes')).filter((f) => f.startsWith(`${model}-`)).sort();
      const schemes: [string, string][] = [
        ['none', 'none'], ['bias', 'bias'],
        ...(isDefault ? [['bias+last:2', 'bias+last:2'] as [string, string]] : mit.map((f): [string, string] => [f.slice(model.length + 1, -5), path.join(zoo, 'schemes', f)])),
        ['full', 'full'],
      ];
      // TTE's headline scheme also within 128 KB of SRAM, where the frozen prefix runs tiled.
      const budgets: [string, string, string | undefined][] = [...schemes.map(([n, s]): [string, string, string | undefined] => [n, s, undefined]),
        ...(model === 'mcunet-5fps' ? [['49kb@128KB', path.join(zoo, 'schemes', 'mcunet-5fps-49kb.json'), '128KB'] as [string, string, string]] : [])];
      const modelRows: SpeedRow[] = [];
      for (const [name, spec, budget] of budgets) {
        const row = await measure(work, model, isDefault ? undefined : path.join(zoo, `${model}.onnx`), isDefault ? undefined : data, name, spec, samples, budget);
        modelRows.push(row);
        rows.push(row);
        printRow(log, row);
      }
      const full = modelRows.find((r) => r.scheme === 'full');
      for (const r of modelRows) {
        if (full?.train_step && r.train_step) r.full_over_this = full.train_step.optimized / r.train_step.optimized;
      }
      const tiled = modelRows.find((r) => r.scheme === '49kb@128KB');
      if (tiled) modelRows.splice(modelRows.indexOf(tiled), 1); // not a scheme of its own in the ratios
      log(`  ${model}: full / sparse step: ${modelRows.filter((r) => r.full_over_this !== null && r.scheme !== 'full').map((r) => `${r.scheme} x${(r.full_over_this as number).toFixed(1)}`).join(', ')}`);
    }
    if (opts.record) {
      writeKernelCosts(opts.record, samples);
      log(`kernel costs (${samples.length} measured calls) written to ${opts.record}`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

async function measure(work: string, model: string, onnx: string | undefined, data: string | undefined, name: string, scheme: string, samples: KernelSample[], budget?: string): Promise<SpeedRow> {
  const out = path.join(work, `${model}-${name.replace(/[^a-z0-9]+/gi, '_')}`);
  const common = { model: onnx, data, scheme, out, evalSamples: 1, calibSamples: 4, trainSamples: 1, steps: name === 'none' ? 0 : 1, checkFit: false, write: true, lr: 0.001, budget };
  let board = 'stm32f746';
  let r = await gen({ ...common, board });
  const fits = (rep: Record<string, unknown>): boolean => (rep.memory as { sram_plan: { total: number } }).sram_plan.total <= (rep.board as { sram_bytes: number }).sram_bytes;
  if (!fits(r.report)) {
    board = 'mps2-an500';
    fs.rmSync(out, { recursive: true, force: true });
    r = await gen({ ...common, board });
  }
  const run = async (extra: string[], onLine?: (l: string) => void) => {
    buildProject(out, 'emu', { extraCflags: extra });
    const e = await emulateProject(out, { timeoutSec: 1800, onLine });
    if (e.exit_code !== 0) throw new Error(`${model} ${name} (${extra.join(' ') || 'optimized'}): firmware exit ${e.exit_code} ${JSON.stringify(e.error ?? e.fault)}`);
    return e;
  };
  const opt = await run([]);
  const port = await run(['-DTT_PORTABLE']);
  const profile: ProfileLine[] = [];
  await run(['-DTT_PROFILE'], (l) => { if (l.includes('"event":"profile"')) profile.push(JSON.parse(l) as ProfileLine); });
  const layers = new Map<string, LayerCost>();
  const phases = { forward: 0, loss: 0, backward: 0, update: 0 };
  const ratioOf = new Map(((r.report.scheme as { updated?: { layer: string; weight_ratio: number }[] }).updated ?? []).map((u) => [u.layer, u.weight_ratio]));
  const macsOf = new Map((r.report.layers as { name: string; macs: number; outputShape: number[] }[]).map((l) => [l.name, l]));
  for (const p of profile) {
    const [part, phase, kernel, layer] = splitWhat(p.what);
    const l = layers.get(layer) ?? { layer, kernels: [], inference: 0, forward: 0, backward: 0, update: 0 };
    if (!l.kernels.includes(kernel)) l.kernels.push(kernel);
    if (part === 'inference') l.inference += p.instructions;
    else {
      if (phase === 'forward' || phase === 'backward' || phase === 'update') l[phase] += p.instructions;
      phases[phase as keyof typeof phases] += p.instructions;
    }
    layers.set(layer, l);
    // Cost samples: forward kernels from inference, training kernels from the step; a weight
    // update's MACs are the updated share of the layer's.
    const info = macsOf.get(layer);
    // A tiled prefix calls a kernel per tile: those calls are not the layer's shape.
    if (info && !budget && (part === 'inference' || phase !== 'forward')) {
      const share = phase === 'update' && kernel !== 'tt_bias_update_s32' ? (ratioOf.get(layer) ?? 1) : 1;
      samples.push({ kernel, macs: info.macs * share, elements: info.outputShape.reduce((a, b) => a * b, 1), instructions: p.instructions, portable: false });
    }
  }
  const ratio = (a: number | null, b: number | null): number => (a && b ? b / a : 0);
  const training = name !== 'none';
  const tteMs = TTE_MS[`${model}/${name.replace(/@.*/, '')}`];
  const row: SpeedRow = {
    model, scheme: name, board, emulator_only: board !== 'stm32f746',
    inference: { optimized: opt.instructions_per_inference ?? 0, portable: port.instructions_per_inference ?? 0, portable_over_optimized: ratio(opt.instructions_per_inference, port.instructions_per_inference) },
    train_step: training ? { optimized: opt.instructions_per_train_step ?? 0, portable: port.instructions_per_train_step ?? 0, portable_over_optimized: ratio(opt.instructions_per_train_step, port.instructions_per_train_step) } : null,
    full_over_this: null,
    phases: training ? phases : null,
    layers: [...layers.values()],
    tte: tteMs ? { ms: tteMs, cycles: Math.round(tteMs * 1e-3 * TTE_HZ), note: 'TTE: measured ms on a 216 MHz STM32F746 (cycles); ours: QEMU instructions' } : null,
    identical: opt.logits_crc32 === port.logits_crc32 && opt.params_crc32 === port.params_crc32,
  };
  fs.rmSync(out, { recursive: true, force: true });
  return row;
}

/** "part|phase|kernel|layer" (the layer may itself contain '|'). */
function splitWhat(what: string): [string, string, string, string] {
  const [part, phase, kernel, ...rest] = what.split('|');
  return [part, phase, kernel, rest.join('|')];
}

function printRow(log: (s: string) => void, r: SpeedRow): void {
  const m = (n: number): string => `${(n / 1e6).toFixed(2)} M`;
  const step = r.train_step ? `step ${m(r.train_step.optimized).padStart(10)} (portable ${m(r.train_step.portable)}, x${r.train_step.portable_over_optimized.toFixed(2)})` : 'inference only';
  log(`${r.model.padEnd(15)} ${r.scheme.padEnd(11)} inference ${m(r.inference.optimized).padStart(9)} (portable ${m(r.inference.portable)}, x${r.inference.portable_over_optimized.toFixed(2)})  ${step}${r.emulator_only ? '  [mps2-an500, emulator only]' : ''}${r.identical ? '' : '  RESULTS DIFFER'}`);
  if (r.phases) log(`${''.padEnd(27)} forward ${m(r.phases.forward)}, backward ${m(r.phases.backward)}, update ${m(r.phases.update)}`);
  if (r.tte && r.train_step) log(`${''.padEnd(27)} TTE: ${r.tte.ms} ms = ${m(r.tte.cycles)} cycles at 216 MHz; ours ${m(r.train_step.optimized)} instructions (x${(r.tte.cycles / r.train_step.optimized).toFixed(2)})`);
}
