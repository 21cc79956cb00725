// Running firmware: in QEMU (emulate) or as a host program (runHost). Both stream the
// program's stdout lines, parse the JSON event lines (docs/FIRMWARE-PROJECT.md) and
// return the exit code, which the firmware sets (0 ok, 1 samples, 2 check, 3 fault).
import * as path from 'path';
import * as fs from 'fs';
import * as readline from 'readline';
import { spawn } from 'child_process';
import { Board, loadBoard } from '../boards';
import { TinytrainError } from '../errors';

/** One JSON line of the firmware: {"event":"start"|"eval"|"logits"|"done"|"fault"|"error", ...}. */
export interface FirmwareEvent {
  event: string;
  [key: string]: unknown;
}

export interface RunOptions {
  /** Kill the program after this many seconds (default 600); a timeout throws. */
  timeoutSec?: number;
  /** samples file for the firmware, relative to outDir (default: samples.bin). */
  samples?: string;
  /** Parse JSON lines into events (default true). */
  json?: boolean;
  /** Called for each stdout line as it arrives, with its event when it parsed. */
  onLine?: (line: string, event: FirmwareEvent | null) => void;
}

export interface EmulateOptions extends RunOptions {
  board: Board | string;
  /** More QEMU arguments, appended. */
  extraArgs?: string[];
  /** Image to run, relative to outDir (default build/firmware.elf). */
  elf?: string;
}

export interface HostRunOptions extends RunOptions {
  /** More program arguments after the samples path. */
  args?: string[];
}

export interface RunResult {
  exitCode: number;
  /** Every stdout line, in order. */
  lines: string[];
  /** The lines that parsed as JSON objects with an "event" field, in order. */
  events: FirmwareEvent[];
  /** The last event of each of these kinds, if any. */
  done: FirmwareEvent | null;
  fault: FirmwareEvent | null;
  error: FirmwareEvent | null;
  stderr: string;
  wallMs: number;
  /** The command that ran (program first), with cwd. */
  command: string[];
  cwd: string;
}
export type EmulateResult = RunResult;

const TIMEOUT_EXIT = 124; // timeout(1): the program was still running
const KILLED_EXIT = 137;  // timeout --kill-after: it ignored SIGTERM
const NOT_FOUND_EXIT = 127;

/** The QEMU command line for a board: semihosting console on stdout, exact
 * instruction counting (-icount shift=0), no UART or monitor. Flags measured on QEMU
 * 7.2: -nographic needs -serial null and -monitor none once stdio is the semihosting
 * chardev; without -semihosting-config the first bkpt locks the core up. */
export function qemuArgs(board: Board, elf: string, samples: string, extraArgs: string[] = []): string[] {
  if (!board.emulator) throw new TinytrainError(`board '${board.id}' has no emulator section: it cannot be emulated`, 'E_EMU');
  return [
    '-M', board.emulator.qemu_machine,
    '-cpu', board.emulator.qemu_cpu,
    '-nographic', '-monitor', 'none', '-serial', 'null',
    '-semihosting-config', 'enable=on,target=native,chardev=sh0',
    '-chardev', 'stdio,id=sh0',
    '-icount', 'shift=0',
    '-kernel', elf,
    // SYS_GET_CMDLINE returns "<kernel> <append>": the firmware takes the 2nd token.
    '-append', samples,
    ...extraArgs,
  ];
}

export async function emulate(outDir: string, opts: EmulateOptions): Promise<EmulateResult> {
  const board = typeof opts.board === 'string' ? loadBoard(opts.board) : opts.board;
  const cwd = path.resolve(outDir);
  const elf = opts.elf ?? path.join('build', 'firmware.elf');
  if (!fs.existsSync(path.resolve(cwd, elf))) throw new TinytrainError(`${path.resolve(cwd, elf)} does not exist: build the project first`, 'E_EMU');
  const samples = checkSamplesArg(opts.samples);
  return runProgram('qemu-system-arm', qemuArgs(board, elf, samples, opts.extraArgs), cwd, opts, 'QEMU');
}

export async function runHost(outDir: string, opts: HostRunOptions = {}): Promise<RunResult> {
  const cwd = path.resolve(outDir);
  const exe = path.join(cwd, 'build', 'host', 'firmware');
  if (!fs.existsSync(exe)) throw new TinytrainError(`${exe} does not exist: build with target 'host' first`, 'E_RUN');
  return runProgram(exe, [checkSamplesArg(opts.samples), ...(opts.args ?? [])], cwd, opts, 'the host firmware');
}

function checkSamplesArg(samples: string | undefined): string {
  const s = samples ?? 'samples.bin';
  // The firmware splits its command line on whitespace.
  if (!s || /\s/.test(s)) throw new TinytrainError(`samples path ${JSON.stringify(s)} must be non-empty and contain no whitespace`, 'E_OPTION');
  return s;
}

function parseEvent(line: string): FirmwareEvent | null {
  if (!line.startsWith('{')) return null;
  try {
    const v: unknown = JSON.parse(line);
    if (typeof v === 'object' && v !== null && typeof (v as { event?: unknown }).event === 'string') return v as FirmwareEvent;
  } catch {
    /* not JSON: kept as a plain line */
  }
  return null;
}

function runProgram(program: string, args: string[], cwd: string, opts: RunOptions, what: string): Promise<RunResult> {
  const timeoutSec = opts.timeoutSec ?? 600;
  const json = opts.json ?? true;
  // timeout(1) rather than a JS timer: it also kills QEMU if node dies.
  const command = ['timeout', '--kill-after=5', String(timeoutSec), program, ...args];
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    // stdin must be open (/dev/null): QEMU's stdio chardev fails on a closed fd.
    const child = spawn(command[0], command.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const events: FirmwareEvent[] = [];
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => { if (stderr.length < 1 << 20) stderr += d; });
    const rl = readline.createInterface({ input: child.stdout, crlfDelay: Infinity });
    rl.on('line', (line) => {
      lines.push(line);
      const ev = json ? parseEvent(line) : null;
      if (ev) events.push(ev);
      opts.onLine?.(line, ev);
    });
    child.on('error', (e) => reject(new TinytrainError(`cannot start ${command[0]}: ${e.message}`, 'E_RUN')));
    // 'close' fires after stdout has ended, so every line has been seen.
    child.on('close', (code, signal) => {
      const wallMs = Date.now() - t0;
      const exitCode = code ?? 128;
      const last = lines.length ? lines[lines.length - 1] : '(no output)';
      if (exitCode === TIMEOUT_EXIT || exitCode === KILLED_EXIT) {
        reject(new TinytrainError(`${what} did not finish within ${timeoutSec} s (last output: ${last})`, 'E_RUN_TIMEOUT'));
        return;
      }
      if (exitCode === NOT_FOUND_EXIT && lines.length === 0) {
        reject(new TinytrainError(`cannot run ${program}: ${stderr.trim() || 'not found'}`, 'E_RUN'));
        return;
      }
      if (signal || exitCode >= 128 || (lines.length === 0 && /qemu-system-arm: /.test(stderr))) {
        // QEMU's own failure (bad option, lockup abort), not an exit code of the firmware.
        const first = stderr.split('\n').find((l) => l.trim()) ?? `exit ${exitCode}`;
        reject(new TinytrainError(`${what} failed (exit ${signal ?? exitCode}): ${first}`, 'E_RUN'));
        return;
      }
      const lastOf = (k: string): FirmwareEvent | null => [...events].reverse().find((e) => e.event === k) ?? null;
      resolve({ exitCode, lines, events, done: lastOf('done'), fault: lastOf('fault'), error: lastOf('error'), stderr, wallMs, command, cwd });
    });
  });
}
