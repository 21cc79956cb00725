// Compile and run small C programs on the host (or cross-compile objects) from tests.
// Synchronous on purpose: mocha tests call these in before() hooks and loops.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The flags every runtime C file must build cleanly with (see the task contracts). */
export const STRICT_CFLAGS = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O2', '-ffp-contract=off'];

/** Cortex-M targets the runtime is built for, as gcc flags. */
export const ARM_TARGETS: Record<string, string[]> = {
  'cortex-m7': ['-mcpu=cortex-m7', '-mthumb', '-mfpu=fpv5-sp-d16', '-mfloat-abi=hard'],
  'cortex-m4': ['-mcpu=cortex-m4', '-mthumb', '-mfpu=fpv4-sp-d16', '-mfloat-abi=hard'],
};

export interface CompileOptions {
  includeDirs?: string[];
  /** `NAME` or `NAME=value`, passed as -D. */
  defines?: string[];
  /** Replaces STRICT_CFLAGS when given. */
  cflags?: string[];
  /** Extra flags after the sources (libraries, -lm ...). */
  ldflags?: string[];
  /** Compiler executable; default $CC or `cc`. */
  cc?: string;
  /** -c: one source to one object file. */
  compileOnly?: boolean;
  timeoutMs?: number;
}

export class CommandError extends Error {
  constructor(message: string, readonly stdout: string, readonly stderr: string) {
    super(message);
  }
}

/** Compiles `sources` into `out` (an executable, or an object with compileOnly). Throws
 * CommandError with the command line and the compiler's diagnostics on failure. */
export function compileC(sources: string[], out: string, opts: CompileOptions = {}): string {
  const cc = opts.cc ?? process.env.CC ?? 'cc';
  const args = [
    ...(opts.cflags ?? STRICT_CFLAGS),
    ...(opts.includeDirs ?? []).map((d) => `-I${d}`),
    ...(opts.defines ?? []).map((d) => `-D${d}`),
    ...(opts.compileOnly ? ['-c'] : []),
    ...sources,
    '-o', out,
    ...(opts.ldflags ?? []),
  ];
  const r = spawnSync(cc, args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000 });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}`;
    throw new CommandError(`${cc} ${args.join(' ')}\n${why}\n${r.stderr ?? ''}`, r.stdout ?? '', r.stderr ?? '');
  }
  return out;
}

export interface RunOptions {
  input?: string | Buffer;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion and returns its exit status and output (never throws for
 * a non-zero exit; check `status`). Throws if it cannot be started or times out. */
export function runExe(exe: string, args: string[] = [], opts: RunOptions = {}): RunResult {
  const r = spawnSync(exe, args, {
    input: opts.input,
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    maxBuffer: 1 << 28,
  });
  if (r.error) throw new CommandError(`${exe} ${args.join(' ')}: ${r.error.message}`, r.stdout ?? '', r.stderr ?? '');
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** True when `cmd` can be executed (e.g. `arm-none-eabi-gcc`). */
export function haveCommand(cmd: string): boolean {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

/** A fresh directory under os.tmpdir(). */
export function makeTempDir(prefix = 'tinytrain-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
