// `flash`: write a generated project's board build to a real board through a debug probe.
// The command comes from the board file (flash origin, part) and the probe; tinytrain runs
// it when the tool is installed, and otherwise prints it so that it can be run elsewhere.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { Board, hex32, loadBoard } from '../boards';
import { TinytrainError } from '../errors';
import { findSymbol, readElf } from '../toolchain/elf';

export const PROBES = ['openocd', 'stlink', 'pyocd'] as const;
export type Probe = typeof PROBES[number];

/** Exit codes of `tinytrain flash` besides 0 (flashed, or --dry-run) and the tool's own. */
export const FLASH_EXIT = {
  /** The probe's tool is not on PATH: the command to run was printed instead. */
  toolMissing: 3,
} as const;

const TOOLS: Record<Probe, string> = { openocd: 'openocd', stlink: 'st-flash', pyocd: 'pyocd' };

/**
 * pyOCD target names of the boards we know (pyOCD has no built-in STM32F7 target but for the
 * F767; `pyocd pack install <name>` installs the CMSIS pack of the others). The board files
 * give the chip family but not the exact part, so the name is fixed here. Others need
 * --probe-target.
 */
const PYOCD_TARGETS: Record<string, string> = { stm32f746: 'stm32f746zgtx' };

export interface FlashOptions {
  /** Print the command without running it, even when the tool is installed. */
  dryRun?: boolean;
  /** OpenOCD target config (e.g. target/stm32f7x.cfg) or pyOCD target name; default from the board. */
  probeTarget?: string;
  /** PATH to look the tool up in (default process.env.PATH). */
  pathEnv?: string;
  /** Where the tool's output goes: straight through (default), all to stderr (--json), stdout dropped (--quiet). */
  output?: 'inherit' | 'stderr' | 'quiet';
}

export interface FlashPlan {
  probe: Probe;
  tool: string;
  /** Absolute path of the tool, or null when it is not on PATH. */
  toolPath: string | null;
  board: string;
  /** The image flashed, relative to cwd (build/firmware.elf or build/firmware.bin). */
  artifact: string;
  /** argv, command[0] being the tool's name. */
  command: string[];
  /** The project folder (absolute): the command runs there. */
  cwd: string;
  /** One shell line that does it: cd <cwd> && <command>. */
  shell: string;
}

export interface FlashResult extends FlashPlan {
  ran: boolean;
  /** What `tinytrain flash` exits with: the tool's code when it ran, 0 for --dry-run, FLASH_EXIT.toolMissing when the tool is missing. */
  exitCode: number;
}

/** Plans the flash and, unless --dry-run or the tool is missing, runs it. */
export function flashCommand(out: string, probe: Probe, opts: FlashOptions = {}): FlashResult {
  return runFlash(planFlash(out, probe, opts), opts);
}

/** The command for a project and a probe; throws a one-line TinytrainError when there is nothing (right) to flash. */
export function planFlash(out: string, probe: Probe, opts: FlashOptions = {}): FlashPlan {
  if (!(PROBES as readonly string[]).includes(probe)) throw new TinytrainError(`unknown probe '${probe}': use ${PROBES.join(', ')}`, 'E_OPTION');
  const cwd = path.resolve(out);
  const board = projectBoard(cwd, out);
  const build = `tinytrain build ${out} --target board`;
  const elf = path.join('build', 'firmware.elf');
  const bin = path.join('build', 'firmware.bin');
  const hasElf = fs.existsSync(path.join(cwd, elf));
  const hasBin = fs.existsSync(path.join(cwd, bin));
  // openocd and pyocd take the ELF (it carries its addresses); st-flash takes the raw image.
  const artifact = probe === 'stlink' ? (hasBin ? bin : null) : hasElf ? elf : hasBin ? bin : null;
  if (!artifact) {
    const want = probe === 'stlink' ? 'build/firmware.bin' : 'build/firmware.elf or build/firmware.bin';
    throw new TinytrainError(`no firmware to flash: ${cwd} has no ${want}; run '${build}' first`, 'E_FLASH_NO_FIRMWARE');
  }
  checkBoardBuild(cwd, board, hasElf ? elf : null, artifact, build);

  const addr = hex32(board.memory.flash.origin);
  const isBin = artifact === bin;
  let args: string[];
  switch (probe) {
    case 'openocd': {
      const target = opts.probeTarget ?? openocdTarget(board);
      args = ['-f', 'interface/stlink.cfg', '-f', target, '-c', `program ${artifact}${isBin ? ` ${addr}` : ''} verify reset exit`];
      break;
    }
    case 'stlink':
      if (!isStm32(board)) throw noTarget(board, probe, 'st-flash programs only STM32 parts; use --probe openocd or pyocd with --probe-target');
      args = ['--reset', 'write', artifact, addr];
      break;
    case 'pyocd': {
      const target = opts.probeTarget ?? PYOCD_TARGETS[board.id];
      if (!target) throw noTarget(board, probe, 'pass --probe-target with its pyOCD target name (see `pyocd list --targets`)');
      args = ['flash', '-t', target, ...(isBin ? ['--base-address', addr] : []), artifact];
      break;
    }
  }
  const tool = TOOLS[probe];
  const command = [tool, ...args];
  return { probe, tool, toolPath: findOnPath(tool, opts.pathEnv ?? process.env.PATH ?? ''), board: board.id, artifact, command, cwd, shell: `cd ${shellQuote(cwd)} && ${command.map(shellQuote).join(' ')}` };
}

/** Runs a plan (its output streamed as opts.output says) unless --dry-run or the tool is missing. */
export function runFlash(plan: FlashPlan, opts: FlashOptions = {}): FlashResult {
  if (opts.dryRun) return { ...plan, ran: false, exitCode: 0 };
  if (!plan.toolPath) return { ...plan, ran: false, exitCode: FLASH_EXIT.toolMissing };
  const stdio: ('inherit' | 'ignore' | number)[] = opts.output === 'stderr' ? ['inherit', 2, 2] : opts.output === 'quiet' ? ['inherit', 'ignore', 'inherit'] : ['inherit', 'inherit', 'inherit'];
  // argv[0] stays the tool's name; the resolved path is what runs.
  const r = spawnSync(plan.toolPath, plan.command.slice(1), { cwd: plan.cwd, stdio, argv0: plan.tool });
  if (r.error) throw new TinytrainError(`cannot run ${plan.toolPath}: ${r.error.message}`, 'E_FLASH_TOOL');
  const code = r.status ?? 128 + (r.signal ? (os.constants.signals[r.signal] ?? 0) : 0);
  return { ...plan, ran: true, exitCode: code };
}

/** The board the project was generated for (report.json), loaded from its board file. */
export function projectBoard(cwd: string, out: string): Board {
  const file = path.join(cwd, 'report.json');
  if (!fs.existsSync(file)) throw new TinytrainError(`${out} is not a tinytrain project (no report.json): run 'tinytrain gen --out ${out}' and 'tinytrain build ${out} --target board' first`, 'E_PROJECT');
  let report: { board?: { id?: unknown }; options?: { board?: unknown } };
  try {
    report = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof report;
  } catch (e) {
    throw new TinytrainError(`${file} is not valid JSON: ${(e as Error).message}`, 'E_PROJECT');
  }
  const id = report.board?.id;
  if (typeof id !== 'string') throw new TinytrainError(`${file} names no board (board.id)`, 'E_PROJECT');
  // A board given to gen as a JSON file is not in boards/: try the file it was given as.
  const given = report.options?.board;
  if (typeof given === 'string' && given.endsWith('.json') && fs.existsSync(given)) {
    const b = loadBoard(given);
    if (b.id === id) return b;
  }
  return loadBoard(id);
}

/**
 * Refuses an image linked for the emulator: TARGET=emu links at QEMU's addresses (0x0 for the
 * stm32f746) and counts instructions at the emulator's clock. The ELF says so with the
 * absolute symbol TT_TARGET_EMU (the Makefile's --defsym) and where its vector table sits; a
 * lone .bin is judged by the flag stamp of the last device build.
 */
function checkBoardBuild(cwd: string, board: Board, elf: string | null, artifact: string, build: string): void {
  const refuse = (why: string): never => {
    throw new TinytrainError(`${path.join(cwd, artifact)} is not a build for the board (${why}): run '${build}' first`, 'E_FLASH_EMU_BUILD');
  };
  if (elf) {
    const image = readElf(path.join(cwd, elf));
    if (findSymbol(image, 'TT_TARGET_EMU')) refuse('it is linked for the emulator: built with --target emu');
    const vectors = image.sections.find((s) => s.name === '.isr_vector');
    if (vectors && vectors.loadAddress !== board.memory.flash.origin) {
      refuse(`its vector table is at ${hex32(vectors.loadAddress)}, the ${board.id}'s flash at ${hex32(board.memory.flash.origin)}`);
    }
    // st-flash writes the .bin: it must be this ELF's image, not an older one.
    if (artifact !== elf && fs.statSync(path.join(cwd, artifact)).mtimeMs < fs.statSync(path.join(cwd, elf)).mtimeMs) {
      refuse('build/firmware.bin is older than build/firmware.elf');
    }
    return;
  }
  const stamp = path.join(cwd, 'build', 'firmware.flags');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').includes('TT_TARGET_EMU')) refuse('the last device build was --target emu');
}

const isStm32 = (b: Board): boolean => /^stm32[a-z][0-9]/.test(b.id);

/** OpenOCD ships one target config per STM32 family: stm32f746 -> target/stm32f7x.cfg. */
function openocdTarget(board: Board): string {
  const m = /^stm32([a-z][0-9])/.exec(board.id);
  if (!m) throw noTarget(board, 'openocd', 'pass --probe-target with its OpenOCD target config (e.g. target/stm32f7x.cfg)');
  return `target/stm32${m[1]}x.cfg`;
}

function noTarget(board: Board, probe: Probe, what: string): TinytrainError {
  return new TinytrainError(`tinytrain does not know how to flash board ${board.id} with ${probe}: ${what}`, 'E_FLASH_TARGET');
}

/** The executable `name` on a PATH string, or null. */
export function findOnPath(name: string, pathEnv: string): string | null {
  for (const dir of pathEnv.split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      if (fs.statSync(p).isFile()) {
        fs.accessSync(p, fs.constants.X_OK);
        return p;
      }
    } catch {
      // not here
    }
  }
  return null;
}

/** POSIX shell quoting: bare when safe, else single quotes. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
