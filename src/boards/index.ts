// Board descriptions: boards/<id>.json, validated into a typed Board.
//
// Schema (JSON; addresses as "0x..." strings or numbers, sizes in bytes as numbers or
// "0x..." strings):
//   id            string, [a-z0-9-], equals the file name
//   name          human-readable name
//   cpu           "cortex-m3" | "cortex-m4" | "cortex-m7" (the platform code is ARMv7-M)
//   fpu           "fpv4-sp-d16" | "fpv5-sp-d16" | "fpv5-d16" | "none"
//   float_abi     "hard" | "softfp" | "soft" (must be "soft" when fpu is "none")
//   clock_hz      the real board's CPU clock
//   memory        { flash: {origin, size}, sram: {origin, size} }: the real board's sizes
//   mpu           true when the core has a PMSAv7 MPU (arms the stack guard)
//   stack_bytes   main stack size (default 4096); a multiple of stack_guard_bytes
//   stack_guard_bytes  MPU no-access region below the stack (default 1024 with an MPU,
//                 0 without); a power of two >= 32
//   emulator      optional { qemu_machine, qemu_cpu, flash_origin, flash_window,
//                 sram_origin, sram_window, cpu_clock_hz }: where QEMU has memory and how
//                 fast SysTick runs there. Under -icount shift=0 one instruction takes
//                 1 ns, so one SysTick tick is 1e9 / cpu_clock_hz instructions (40 on mps2).
//   notes         optional free text
import * as fs from 'fs';
import * as path from 'path';
import { TinytrainError } from '../errors';

export type Cpu = 'cortex-m3' | 'cortex-m4' | 'cortex-m7';
export type Fpu = 'fpv4-sp-d16' | 'fpv5-sp-d16' | 'fpv5-d16';
export type FloatAbi = 'hard' | 'softfp' | 'soft';

export interface MemoryRegion {
  origin: number;
  size: number;
}

export interface EmulatorSpec {
  qemu_machine: string;
  qemu_cpu: string;
  flash_origin: number;
  flash_window: number;
  sram_origin: number;
  sram_window: number;
  cpu_clock_hz: number;
  /** Derived: 1e9 / cpu_clock_hz, the -DTT_INSTR_PER_TICK of TARGET=emu builds. */
  instructions_per_tick: number;
}

export interface Board {
  id: string;
  name: string;
  cpu: Cpu;
  /** null when the board has no FPU. */
  fpu: Fpu | null;
  float_abi: FloatAbi;
  clock_hz: number;
  memory: { flash: MemoryRegion; sram: MemoryRegion };
  mpu: boolean;
  stack_bytes: number;
  stack_guard_bytes: number;
  emulator: EmulatorSpec | null;
  notes: string;
  /** The JSON file it was read from. */
  file: string;
}

export const DEFAULT_BOARD = 'stm32f746';
const CPUS: readonly Cpu[] = ['cortex-m3', 'cortex-m4', 'cortex-m7'];
const FPUS: readonly Fpu[] = ['fpv4-sp-d16', 'fpv5-sp-d16', 'fpv5-d16'];
const FLOAT_ABIS: readonly FloatAbi[] = ['hard', 'softfp', 'soft'];

/** boards/ of the package (dist/src/boards -> package root). */
export function boardsDir(): string {
  return path.resolve(__dirname, '..', '..', '..', 'boards');
}

function boardIds(): string[] {
  if (!fs.existsSync(boardsDir())) return [];
  return fs
    .readdirSync(boardsDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** A board by id (boards/<id>.json), or by path to a JSON file of the same schema. */
export function loadBoard(id: string): Board {
  const isPath = id.endsWith('.json') || id.includes('/') || id.includes(path.sep);
  const file = isPath ? path.resolve(id) : path.join(boardsDir(), `${id}.json`);
  if (!isPath && !/^[a-z0-9][a-z0-9-]*$/.test(id)) {
    throw new TinytrainError(`unknown board '${id}'; available boards: ${boardIds().join(', ')}`, 'E_BOARD_UNKNOWN');
  }
  if (!fs.existsSync(file)) {
    throw new TinytrainError(
      isPath
        ? `board file not found: ${file}`
        : `unknown board '${id}'; available boards: ${boardIds().join(', ')}`,
      'E_BOARD_UNKNOWN',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TinytrainError(`board file ${file} is not valid JSON: ${(e as Error).message}`, 'E_BOARD_INVALID');
  }
  const board = validateBoard(raw, file);
  if (!isPath && board.id !== id) {
    throw new TinytrainError(`board file ${file} has id '${board.id}', expected '${id}'`, 'E_BOARD_INVALID');
  }
  return board;
}

export function listBoards(): Board[] {
  return boardIds().map((id) => loadBoard(id));
}

/** The core has the DSP extension (SMLAD and friends): the runtime's optimized paths
 * (firmware/include/tt_simd.h) are compiled in, and regular convs need im2col scratch. */
export function hasDsp(board: Board): boolean {
  return board.cpu === 'cortex-m4' || board.cpu === 'cortex-m7';
}

/** GCC flags selecting the board's core and floating point. */
export function cpuFlags(board: Board): string[] {
  const flags = [`-mcpu=${board.cpu}`, '-mthumb'];
  if (board.fpu) flags.push(`-mfpu=${board.fpu}`);
  flags.push(`-mfloat-abi=${board.float_abi}`);
  return flags;
}

/** Formats an address as the 0x-prefixed, 8-digit hex the linker script uses. */
export function hex32(n: number): string {
  return '0x' + n.toString(16).toUpperCase().padStart(8, '0');
}

// ---- validation ----

class Checker {
  constructor(private readonly file: string) {}

  fail(field: string, why: string): never {
    throw new TinytrainError(`board file ${this.file}: '${field}' ${why}`, 'E_BOARD_INVALID');
  }

  obj(v: unknown, field: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'must be an object');
    return v as Record<string, unknown>;
  }

  str(v: unknown, field: string): string {
    if (typeof v !== 'string' || v.length === 0) this.fail(field, 'must be a non-empty string');
    return v;
  }

  oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.fail(field, `must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`);
    }
    return v as T;
  }

  /** A non-negative integer given as a number or a "0x..." / decimal string. */
  uint(v: unknown, field: string): number {
    let n: number = NaN;
    if (typeof v === 'number') n = v;
    else if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v)) n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) this.fail(field, `must be a 32-bit unsigned integer (got ${JSON.stringify(v)})`);
    return n;
  }

  bool(v: unknown, field: string): boolean {
    if (typeof v !== 'boolean') this.fail(field, 'must be true or false');
    return v;
  }

  region(v: unknown, field: string): MemoryRegion {
    const o = this.obj(v, field);
    const region = { origin: this.uint(o.origin, `${field}.origin`), size: this.uint(o.size, `${field}.size`) };
    if (region.size === 0 || region.size % 8 !== 0) this.fail(`${field}.size`, 'must be a positive multiple of 8');
    if (region.origin % 4 !== 0) this.fail(`${field}.origin`, 'must be 4-byte aligned');
    if (region.origin + region.size > 0x100000000) this.fail(field, 'extends past the 32-bit address space');
    return region;
  }
}

const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

function validateEmulator(c: Checker, v: unknown, flash: MemoryRegion, sram: MemoryRegion): EmulatorSpec {
  const e = c.obj(v, 'emulator');
  const spec = {
    qemu_machine: c.str(e.qemu_machine, 'emulator.qemu_machine'),
    qemu_cpu: c.str(e.qemu_cpu, 'emulator.qemu_cpu'),
    flash_origin: c.uint(e.flash_origin, 'emulator.flash_origin'),
    flash_window: c.uint(e.flash_window, 'emulator.flash_window'),
    sram_origin: c.uint(e.sram_origin, 'emulator.sram_origin'),
    sram_window: c.uint(e.sram_window, 'emulator.sram_window'),
    cpu_clock_hz: c.uint(e.cpu_clock_hz, 'emulator.cpu_clock_hz'),
  };
  // The linker holds the image to the real sizes; they must fit QEMU's memory windows.
  if (flash.size > spec.flash_window) c.fail('emulator.flash_window', `is smaller than memory.flash.size (${flash.size})`);
  if (sram.size > spec.sram_window) c.fail('emulator.sram_window', `is smaller than memory.sram.size (${sram.size})`);
  // -icount shift=0: 1 ns per instruction, so ticks convert to whole instructions only
  // when the clock divides 1 GHz.
  if (spec.cpu_clock_hz === 0 || 1e9 % spec.cpu_clock_hz !== 0) {
    c.fail('emulator.cpu_clock_hz', 'must divide 1e9 (instructions per SysTick tick under -icount shift=0)');
  }
  return { ...spec, instructions_per_tick: 1e9 / spec.cpu_clock_hz };
}

export function validateBoard(raw: unknown, file: string): Board {
  const c = new Checker(file);
  const o = c.obj(raw, '(root)');
  const id = c.str(o.id, 'id');
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) c.fail('id', 'must match [a-z0-9][a-z0-9-]*');
  const fpuRaw = o.fpu === undefined ? 'none' : o.fpu;
  const fpu = fpuRaw === 'none' ? null : c.oneOf(fpuRaw, 'fpu', FPUS);
  const floatAbi = c.oneOf(o.float_abi ?? (fpu ? 'hard' : 'soft'), 'float_abi', FLOAT_ABIS);
  if (!fpu && floatAbi !== 'soft') c.fail('float_abi', 'must be "soft" when the board has no FPU');
  const mem = c.obj(o.memory, 'memory');
  const flash = c.region(mem.flash, 'memory.flash');
  const sram = c.region(mem.sram, 'memory.sram');
  const mpu = c.bool(o.mpu, 'mpu');
  const guard = o.stack_guard_bytes === undefined ? (mpu ? 1024 : 0) : c.uint(o.stack_guard_bytes, 'stack_guard_bytes');
  if (guard !== 0 && (!isPow2(guard) || guard < 32)) c.fail('stack_guard_bytes', 'must be 0 or a power of two >= 32');
  if (guard !== 0 && !mpu) c.fail('stack_guard_bytes', 'needs an MPU (mpu: true)');
  const stack = o.stack_bytes === undefined ? 4096 : c.uint(o.stack_bytes, 'stack_bytes');
  checkStack(c, stack, guard, sram);
  const emulator = o.emulator === undefined ? null : validateEmulator(c, o.emulator, flash, sram);
  if (emulator && guard !== 0 && (emulator.sram_origin + sram.size) % guard !== 0) {
    c.fail('emulator.sram_origin', `puts the end of SRAM off a multiple of the ${guard}-byte stack guard`);
  }
  return {
    id,
    name: c.str(o.name, 'name'),
    cpu: c.oneOf(o.cpu, 'cpu', CPUS),
    fpu,
    float_abi: floatAbi,
    clock_hz: c.uint(o.clock_hz, 'clock_hz'),
    memory: { flash, sram },
    mpu,
    stack_bytes: stack,
    stack_guard_bytes: guard,
    emulator,
    notes: typeof o.notes === 'string' ? o.notes : '',
    file,
  };
}

function checkStack(c: Checker, stack: number, guard: number, sram: MemoryRegion): void {
  const unit = Math.max(guard, 8);
  if (stack < 1024 || stack % unit !== 0) c.fail('stack_bytes', `must be >= 1024 and a multiple of ${unit}`);
  if (stack + guard > sram.size) c.fail('stack_bytes', 'plus the guard exceeds the SRAM size');
  // The guard is aligned to its size below a stack that ends at the top of SRAM.
  if (guard !== 0 && (sram.origin + sram.size) % guard !== 0) c.fail('memory.sram', `must end on a multiple of the ${guard}-byte stack guard`);
}

/** Checks a stack size override against a board (the same rules as the JSON field). */
export function withStackBytes(board: Board, stackBytes: number): Board {
  checkStack(new Checker(board.file), stackBytes, board.stack_guard_bytes, board.memory.sram);
  return { ...board, stack_bytes: stackBytes };
}
