// `build` and `emulate`: the toolchain stage plus the accounting that ties the plan in
// report.json to the linked ELF and to what the firmware measured while running.
import * as fs from 'fs';
import * as path from 'path';
import { projectBoard } from './flash';
import { renderReportHtml } from '../codegen/report-html';
import { TinytrainError } from '../errors';
import { BuildResult, BuildTarget, ImageSizes, build, emulate as runQemu, findSymbol, imageSizes, readElf, runHost, RunResult } from '../toolchain';

interface Report {
  board: { id: string };
  memory: Record<string, unknown> & {
    arena_bytes: number; trainable_sram_bytes: number;
    sram_plan?: { trainable_weights: number; trainable_biases: number; master_copies: number };
    symbols?: { arena: string; trainable: string[]; master: string[] };
  };
  [k: string]: unknown;
}

function readReport(out: string): Report {
  const file = path.join(out, 'report.json');
  if (!fs.existsSync(file)) throw new TinytrainError(`${out} is not a tinytrain project (no report.json): run 'tinytrain gen --out ${out}' first`, 'E_PROJECT');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
  } catch (e) {
    throw new TinytrainError(`${file} is not valid JSON: ${(e as Error).message}`, 'E_PROJECT');
  }
}

/** SRAM by kind, from the ELF; the stack is what the firmware measured, if known. */
export interface SramAccount { arena: number; trainable: number; master: number; state: number; stack: number; total: number }

/** trainable: updated weights and biases; master: their fp32 copies; state: every other static. */
export function sramAccount(sizes: ImageSizes, arenaBytes: number, trainable: number, master: number, stackPeak: number): SramAccount {
  const statics = sizes.sram.data + sizes.sram.bss + sizes.sram.noinit + sizes.sram.other;
  const state = statics - arenaBytes - trainable - master;
  return { arena: arenaBytes, trainable, master, state, stack: stackPeak, total: arenaBytes + trainable + master + state + stackPeak };
}

function trainableOf(r: Report): { params: number; master: number } {
  const p = r.memory.sram_plan;
  return p ? { params: p.trainable_weights + p.trainable_biases, master: p.master_copies } : { params: r.memory.trainable_sram_bytes, master: 0 };
}

function arenaFromElf(res: { elf: ReturnType<typeof readElf> }, planned: number): number {
  const sym = findSymbol(res.elf, 'tt_arena');
  if (!sym) throw new TinytrainError('the ELF has no tt_arena symbol', 'E_ELF');
  if (sym.size !== planned) throw new TinytrainError(`the ELF's arena is ${sym.size} B but report.json planned ${planned} B`, 'E_ELF');
  return sym.size;
}

/** Every SRAM object the plan counted has exactly the planned size in the linked ELF. */
function verifySymbols(elf: ReturnType<typeof readElf>, report: Report): void {
  const syms = report.memory.symbols;
  const plan = report.memory.sram_plan;
  if (!syms || !plan) return;
  const sum = (names: string[]): number => names.reduce((s, n) => {
    const sym = findSymbol(elf, n);
    if (!sym) throw new TinytrainError(`the ELF has no symbol ${n} that report.json planned in SRAM`, 'E_ELF');
    return s + sym.size;
  }, 0);
  const trainable = sum(syms.trainable);
  const master = sum(syms.master);
  if (trainable !== plan.trainable_weights + plan.trainable_biases) throw new TinytrainError(`the ELF holds ${trainable} B of trainable parameters but report.json planned ${plan.trainable_weights + plan.trainable_biases} B`, 'E_ELF');
  if (master !== plan.master_copies) throw new TinytrainError(`the ELF holds ${master} B of master copies but report.json planned ${plan.master_copies} B`, 'E_ELF');
}

export interface BuildSummary { target: BuildTarget; artifact: string; flash_bytes: number | null; sram_static_bytes: number | null; sram_capacity: number | null; flash_capacity: number | null; wall_ms: number }

/** extraCflags: e.g. -DTT_PORTABLE (the portable kernels on a DSP core) or -DTT_PROFILE (per-call counts). */
export function buildProject(out: string, target: BuildTarget, opts: { printLogits?: boolean; extraCflags?: string[] } = {}): BuildSummary {
  const dir = path.resolve(out);
  const report = readReport(dir);
  const res: BuildResult = build(dir, { target, printLogits: opts.printLogits, extraCflags: opts.extraCflags });
  if (!res.sizes || !res.elf) {
    return { target, artifact: res.artifact, flash_bytes: null, sram_static_bytes: null, sram_capacity: null, flash_capacity: null, wall_ms: res.wallMs };
  }
  const arena = arenaFromElf({ elf: res.elf }, report.memory.arena_bytes);
  verifySymbols(res.elf, report);
  const t = trainableOf(report);
  const acct = sramAccount(res.sizes, arena, t.params, t.master, res.sizes.sram.stack);
  report.memory.elf = {
    target,
    flash: res.sizes.flash,
    sram: res.sizes.sram,
    arena_bytes: arena,
    state_bytes: acct.state,
  };
  report.memory.flash_bytes = res.sizes.flash.total;
  report.memory.sram_total_bytes = acct.total + res.sizes.sram.guard;
  report.memory.source = 'elf';
  fs.writeFileSync(path.join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'report.html'), renderReportHtml(report));
  return { target, artifact: res.artifact, flash_bytes: res.sizes.flash.total, sram_static_bytes: acct.arena + acct.state, sram_capacity: res.sizes.sram.capacity, flash_capacity: res.sizes.flash.capacity, wall_ms: res.wallMs };
}

export interface EmulateSummary {
  exit_code: number;
  runner: 'qemu' | 'host';
  board: string;
  eval: { step: number; samples: number; correct: number; accuracy: number; loss: number | null; train_loss?: number }[];
  train_steps: number;
  skipped_updates: number;
  instructions_per_train_step: number | null;
  instructions_per_inference: number | null;
  params_crc32: string | null;
  logits_crc32: string | null;
  sram: SramAccount | null;
  flash: number | null;
  fault: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
  wall_ms: number;
}

export async function emulateProject(out: string, opts: { host?: boolean; timeoutSec?: number; onLine?: (line: string) => void }): Promise<EmulateSummary> {
  const dir = path.resolve(out);
  const report = readReport(dir);
  const board = projectBoard(dir, out);
  const artifact = path.join(dir, opts.host ? 'build/host/firmware' : 'build/firmware.elf');
  if (!fs.existsSync(artifact)) throw new TinytrainError(`${artifact} does not exist: run 'tinytrain build ${out}${opts.host ? ' --target host' : ''}' first`, 'E_PROJECT');
  // An image linked for the board runs at the board's addresses, where QEMU has no memory.
  if (!opts.host && !findSymbol(readElf(artifact), 'TT_TARGET_EMU')) {
    throw new TinytrainError(`${artifact} is linked for the board (--target board), not the emulator: run 'tinytrain build ${out}' first`, 'E_PROJECT');
  }
  const common = { timeoutSec: opts.timeoutSec ?? 600, onLine: opts.onLine ? (l: string) => opts.onLine?.(l) : undefined };
  const r: RunResult = opts.host ? await runHost(dir, common) : await runQemu(dir, { ...common, board });
  const evals = r.events.filter((e) => e.event === 'eval').map((e) => ({
    step: Number(e.step), samples: Number(e.samples), correct: Number(e.correct),
    accuracy: Number(e.samples) > 0 ? Number(e.correct) / Number(e.samples) : 0,
    loss: typeof e.loss === 'number' ? e.loss : null,
    ...(typeof e.train_loss === 'number' ? { train_loss: e.train_loss } : {}),
  }));
  let sram: SramAccount | null = null;
  let flash: number | null = null;
  if (!opts.host) {
    const elf = readElf(artifact);
    const sizes = imageSizes(elf);
    const stack = r.done ? Number(r.done.stack_peak_bytes) : 0;
    const t = trainableOf(report);
    sram = sramAccount(sizes, arenaFromElf({ elf }, report.memory.arena_bytes), t.params, t.master, stack);
    flash = sizes.flash.total;
  }
  return {
    exit_code: r.exitCode,
    runner: opts.host ? 'host' : 'qemu',
    board: board.id,
    eval: evals,
    train_steps: r.done ? Number(r.done.train_steps ?? 0) : 0,
    skipped_updates: r.done ? Number(r.done.skipped_updates ?? 0) : 0,
    instructions_per_train_step: r.done && !opts.host && Number(r.done.train_steps) > 0 ? Number(r.done.instructions_per_train_step) : null,
    instructions_per_inference: r.done && !opts.host ? Number(r.done.instructions_per_inference) : null,
    params_crc32: r.done && r.done.params_crc32 ? String(r.done.params_crc32) : null,
    logits_crc32: r.done ? String(r.done.logits_crc32) : null,
    sram,
    flash,
    fault: r.fault,
    error: r.error,
    wall_ms: r.wallMs,
  };
}
