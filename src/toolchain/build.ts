// Build stage: runs the generated project's Makefile and measures the linked image.
import * as os from 'os';
import * as path from 'path';
import * as fs from 'fs';
import { spawn, spawnSync } from 'child_process';
import { TinytrainError } from '../errors';
import { ElfImage, readElf } from './elf';
import { ImageSizes, imageSizes } from './sizes';

export type BuildTarget = 'emu' | 'board' | 'host';

export interface BuildOptions {
  target: BuildTarget;
  /** Parallel make jobs (default: the number of CPUs). */
  jobs?: number;
  /** PRINT_LOGITS=1: the firmware prints a logits line per evaluated sample. */
  printLogits?: boolean;
  /** EXTRA_CFLAGS for every compile (e.g. ['-DTT_SOMETHING=1']). */
  extraCflags?: string[];
  /** More make variable assignments, e.g. ['OPT=-O3']. */
  makeVars?: string[];
  /** Kill make after this many seconds (default 600). */
  timeoutSec?: number;
}

export interface BuildResult {
  target: BuildTarget;
  outDir: string;
  /** build/firmware.elf for emu/board, build/host/firmware for host (absolute). */
  artifact: string;
  /** Device builds only (absolute paths). */
  elfPath: string | null;
  mapPath: string | null;
  binPath: string | null;
  /** make's stdout (commands) followed by its stderr (diagnostics). */
  log: string;
  wallMs: number;
  /** Device builds only: sections and the flash/SRAM accounting. */
  elf: ElfImage | null;
  sizes: ImageSizes | null;
}

/** A failed make: the message carries the first compiler/linker errors; log has all. */
export class BuildError extends TinytrainError {
  readonly log: string;
  readonly errorLines: string[];
  constructor(message: string, log: string, errorLines: string[]) {
    super(message, 'E_BUILD');
    this.log = log;
    this.errorLines = errorLines;
  }
}

const ERROR_LINE = /\berror\b|undefined reference|overflowed|will not fit|overlaps section|No rule to make|not found|\*\*\*/i;

/** The lines worth showing from a failed build: our linker ASSERTs first, then the
 * compiler's errors with the source excerpt lines that follow them. */
export function firstErrorLines(log: string, max = 12): string[] {
  const lines = log.split('\n');
  const out: string[] = [];
  const push = (l: string): void => {
    const t = l.replace(/^.*?\/ld: /, 'ld: ').trimEnd();
    if (t && !out.includes(t) && out.length < max) out.push(t);
  };
  for (const l of lines) if (l.includes('tinytrain:')) push(l);
  for (let i = 0; i < lines.length; i++) {
    if (!ERROR_LINE.test(lines[i]) || (/^make(\[\d+\])?: \*\*\*/.test(lines[i]) && out.length > 0)) continue;
    push(lines[i]);
    // gcc follows an error with "  52 | code" and "     |   ^~~" lines.
    for (let k = i + 1; k < lines.length && k <= i + 2 && /^\s*\d*\s*\|/.test(lines[k]); k++) push(lines[k]);
  }
  return out.length ? out : lines.filter((l) => l.trim()).slice(-max);
}

function requireCommand(cmd: string, hint: string): void {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  if (r.error) throw new TinytrainError(`${cmd} not found: ${hint}`, 'E_TOOLCHAIN_MISSING');
}

function makeArgs(outDir: string, opts: BuildOptions): { dir: string; args: string[] } {
  const dir = path.resolve(outDir);
  if (!fs.existsSync(path.join(dir, 'Makefile'))) throw new TinytrainError(`no Makefile in ${dir}: generate the project first`, 'E_BUILD');
  requireCommand('make', 'install make (apt-get install make)');
  if (opts.target === 'host') requireCommand(process.env.HOSTCC ?? 'cc', 'install a host C compiler (apt-get install gcc)');
  else requireCommand('arm-none-eabi-gcc', 'install the Arm toolchain (apt-get install --no-install-recommends gcc-arm-none-eabi libnewlib-arm-none-eabi)');

  const args = ['-C', dir, `-j${opts.jobs ?? os.cpus().length}`];
  if (opts.target !== 'host') args.push(`TARGET=${opts.target}`);
  args.push(`PRINT_LOGITS=${opts.printLogits ? 1 : 0}`);
  args.push(`EXTRA_CFLAGS=${(opts.extraCflags ?? []).join(' ')}`);
  args.push(...(opts.makeVars ?? []));
  args.push(opts.target === 'host' ? 'host' : 'all');
  return { dir, args };
}

export function build(outDir: string, opts: BuildOptions): BuildResult {
  const { dir, args } = makeArgs(outDir, opts);
  const t0 = Date.now();
  const r = spawnSync('make', args, {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: (opts.timeoutSec ?? 600) * 1000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : r.status !== 0 ? `make exited with ${r.status}` : null;
  return finish(dir, opts, (r.stdout ?? '') + (r.stderr ?? ''), why, Date.now() - t0);
}

/** build() without blocking the event loop, for parallel builds. */
export function buildAsync(outDir: string, opts: BuildOptions): Promise<BuildResult> {
  const { dir, args } = makeArgs(outDir, opts);
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('timeout', ['--kill-after=5', String(opts.timeoutSec ?? 600), 'make', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const add = (d: Buffer): void => { if (log.length < 64 << 20) log += d.toString('utf8'); };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    child.on('error', (e) => reject(new TinytrainError(`cannot start make: ${e.message}`, 'E_BUILD')));
    child.on('close', (code, signal) => {
      const why = signal ? `killed by ${signal}` : code === 124 ? 'timed out' : code !== 0 ? `make exited with ${code}` : null;
      try { resolve(finish(dir, opts, log, why, Date.now() - t0)); } catch (e) { reject(e); }
    });
  });
}

function finish(dir: string, opts: BuildOptions, log: string, failure: string | null, wallMs: number): BuildResult {
  if (failure) {
    const errs = firstErrorLines(log);
    throw new BuildError(`build failed (target ${opts.target}, ${failure}) in ${dir}: ${errs.join(' | ')}`, log, errs);
  }

  if (opts.target === 'host') {
    const exe = path.join(dir, 'build', 'host', 'firmware');
    return { target: 'host', outDir: dir, artifact: exe, elfPath: null, mapPath: null, binPath: null, log, wallMs, elf: null, sizes: null };
  }
  const elfPath = path.join(dir, 'build', 'firmware.elf');
  const elf = readElf(elfPath);
  return {
    target: opts.target,
    outDir: dir,
    artifact: elfPath,
    elfPath,
    mapPath: path.join(dir, 'build', 'firmware.map'),
    binPath: path.join(dir, 'build', 'firmware.bin'),
    log,
    wallMs,
    elf,
    sizes: imageSizes(elf),
  };
}
