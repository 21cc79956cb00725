// The board-specific files of a generated project: board/linker.ld and the Makefile
// (rendered from templates/), and the runtime copied from firmware/. Codegen calls
// writePlatformFiles(); the contexts are exported so the templates' inputs are typed.
import * as fs from 'fs';
import * as path from 'path';
import { Board, cpuFlags, hex32, withStackBytes } from '../boards';
import { TinytrainError } from '../errors';
import { PACKAGE_ROOT, render } from './templates';

/** Input of templates/linker.ld.hbs. Addresses are "0x..." strings, sizes bytes. */
export interface LinkerTemplateContext {
  board_id: string;
  board_name: string;
  /** The real board's regions (TARGET=board origins; sizes for both targets). */
  flash: { origin: string; size: number };
  sram: { origin: string; size: number };
  /** Where the emulator has memory (TARGET=emu origins); the board's origins if none. */
  emu: { flash_origin: string; sram_origin: string };
  stack_bytes: number;
  /** MPU no-access guard below the stack; 0 without an MPU. */
  guard_bytes: number;
}

/** Input of templates/Makefile.hbs. */
export interface MakefileTemplateContext {
  board_id: string;
  board_name: string;
  /** e.g. "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard" */
  cpu_flags: string;
  has_mpu: 0 | 1;
  /** 1e9 / emulator cpu_clock_hz (40 on mps2); 1 when the board has no emulator. */
  instr_per_tick_emu: number;
  /** For `make run`; empty when the board has no emulator. */
  qemu_machine: string;
  qemu_cpu: string;
  /** Extra compiler flags for every build (device and host); may be empty. */
  extra_cflags: string;
}

export interface PlatformFilesOptions {
  /** Overrides board.stack_bytes (same rules: multiple of the guard size). */
  stackBytes?: number;
  extraCflags?: string[];
  /** Copy firmware/ into runtime/ (default true). */
  copyRuntime?: boolean;
}

export function linkerContext(board: Board, stackBytes: number = board.stack_bytes): LinkerTemplateContext {
  const { flash, sram } = board.memory;
  const emu = board.emulator;
  return {
    board_id: board.id,
    board_name: board.name,
    flash: { origin: hex32(flash.origin), size: flash.size },
    sram: { origin: hex32(sram.origin), size: sram.size },
    emu: {
      flash_origin: hex32(emu ? emu.flash_origin : flash.origin),
      sram_origin: hex32(emu ? emu.sram_origin : sram.origin),
    },
    stack_bytes: stackBytes,
    guard_bytes: board.stack_guard_bytes,
  };
}

export function makefileContext(board: Board, extraCflags: string[] = []): MakefileTemplateContext {
  for (const f of extraCflags) {
    if (/[\s'"$`\\]/.test(f)) throw new TinytrainError(`extra C flag ${JSON.stringify(f)} must not contain spaces, quotes, $ or \\`, 'E_OPTION');
  }
  return {
    board_id: board.id,
    board_name: board.name,
    cpu_flags: cpuFlags(board).join(' '),
    has_mpu: board.mpu && board.stack_guard_bytes > 0 ? 1 : 0,
    instr_per_tick_emu: board.emulator ? board.emulator.instructions_per_tick : 1,
    qemu_machine: board.emulator?.qemu_machine ?? '',
    qemu_cpu: board.emulator?.qemu_cpu ?? '',
    extra_cflags: extraCflags.join(' '),
  };
}

export function renderLinkerScript(ctx: LinkerTemplateContext): string {
  return render('linker.ld.hbs', ctx);
}

export function renderMakefile(ctx: MakefileTemplateContext): string {
  return render('Makefile.hbs', ctx);
}

/** firmware/<from> -> <outDir>/runtime/<to>: headers, kernels, src, platform/**. */
const RUNTIME_DIRS: ReadonlyArray<[string, string]> = [
  ['include', 'include'],
  ['kernels', 'kernels'],
  ['train', 'train'],
  ['src', 'src'],
  ['platform', 'platform'],
];

/** Writes a file unless it already holds exactly these bytes: unchanged files keep their
 * modification time, so `make` rebuilds only what a regeneration changed. */
export function writeIfChanged(target: string, content: string | Buffer): void {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  if (fs.existsSync(target)) {
    const st = fs.statSync(target);
    if (st.isFile() && st.size === bytes.length && fs.readFileSync(target).equals(bytes)) return;
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, bytes);
}

/** Copies the .c/.h files of `from` into `to`, returning the relative paths it holds. */
function copyTree(from: string, to: string, rel = ''): string[] {
  if (!fs.existsSync(from)) return [];
  const kept: string[] = [];
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    if (e.isDirectory()) kept.push(...copyTree(src, path.join(to, e.name), path.join(rel, e.name)));
    else if (/\.(c|h)$/.test(e.name)) {
      writeIfChanged(path.join(to, e.name), fs.readFileSync(src));
      kept.push(path.join(rel, e.name));
    }
  }
  return kept;
}

/** Removes files under `dir` that are not in `keep` (relative paths). */
function prune(dir: string, keep: Set<string>, rel = ''): void {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) prune(path.join(dir, e.name), keep, r);
    else if (!keep.has(r)) fs.rmSync(path.join(dir, e.name), { force: true });
  }
}

/** Brings <outDir>/runtime to an exact copy of the C runtime (firmware/); files already
 * identical are left untouched. */
export function copyRuntime(outDir: string): void {
  const runtime = path.join(outDir, 'runtime');
  if (fs.existsSync(runtime) && !fs.statSync(runtime).isDirectory()) fs.rmSync(runtime, { force: true });
  const keep = new Set<string>();
  for (const [from, to] of RUNTIME_DIRS) copyTree(path.join(PACKAGE_ROOT, 'firmware', from), path.join(runtime, to), to).forEach((f) => keep.add(f));
  prune(runtime, keep);
}

/** Writes board/linker.ld, Makefile and runtime/ for a board into a project directory. */
export function writePlatformFiles(outDir: string, board: Board, opts: PlatformFilesOptions = {}): void {
  const b = opts.stackBytes === undefined ? board : withStackBytes(board, opts.stackBytes);
  fs.mkdirSync(path.join(outDir, 'board'), { recursive: true });
  fs.writeFileSync(path.join(outDir, 'board', 'linker.ld'), renderLinkerScript(linkerContext(b)));
  fs.writeFileSync(path.join(outDir, 'Makefile'), renderMakefile(makefileContext(board, opts.extraCflags)));
  if (opts.copyRuntime !== false) copyRuntime(outDir);
}
