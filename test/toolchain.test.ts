// Boards, templates and the toolchain stage: board loading and validation, the
// rendered linker script and Makefile, build() with its size accounting (checked
// against arm-none-eabi-size), link failures for images too large for the board,
// compile errors, and emulate()'s streaming, timeout and error handling.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { DEFAULT_BOARD, listBoards, loadBoard, validateBoard } from '../src/boards';
import { TinytrainError } from '../src/errors';
import {
  BuildError, BuildResult, build, emulate,
  FirmwareEvent,
} from '../src/toolchain';
import { makePlatformProject, randomRecords, writeSamples } from './c/platform/fixture';
import { linkerContext, makefileContext, renderLinkerScript, renderMakefile } from '../src/codegen/platform';

const expectTt = (fn: () => unknown, code: string, message: RegExp): void => {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TinytrainError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  });
};

describe('boards', () => {
  it('loads the default STM32F746 and the MPS2 AN386 with their real sizes', () => {
    const f7 = loadBoard(DEFAULT_BOARD);
    assert.equal(f7.id, 'stm32f746');
    assert.equal(f7.cpu, 'cortex-m7');
    assert.equal(f7.fpu, 'fpv5-sp-d16');
    assert.deepEqual(f7.memory, { flash: { origin: 0x08000000, size: 1 << 20 }, sram: { origin: 0x20000000, size: 320 * 1024 } });
    assert.equal(f7.emulator?.qemu_machine, 'mps2-an500');
    assert.equal(f7.emulator?.flash_origin, 0);
    assert.equal(f7.emulator?.instructions_per_tick, 40);
    assert.equal(f7.stack_guard_bytes, 1024);
    const m4 = loadBoard('mps2-an386');
    assert.equal(m4.cpu, 'cortex-m4');
    assert.equal(m4.fpu, 'fpv4-sp-d16');
    assert.equal(m4.emulator?.qemu_machine, 'mps2-an386');
    assert.deepEqual(listBoards().map((b) => b.id), ['mps2-an386', 'mps2-an500', 'stm32f746']);
  });

  it('rejects an unknown board with the list of available ones', () => {
    expectTt(() => loadBoard('stm32f999'), 'E_BOARD_UNKNOWN', /unknown board 'stm32f999'.*available boards: mps2-an386, mps2-an500, stm32f746/);
    expectTt(() => loadBoard('../etc'), 'E_BOARD_UNKNOWN', /not found/);
  });

  it('validates fields and names the bad one', () => {
    const good = JSON.parse(fs.readFileSync(loadBoard(DEFAULT_BOARD).file, 'utf8')) as Record<string, unknown>;
    const bad = (patch: Record<string, unknown>): unknown => ({ ...good, ...patch });
    expectTt(() => validateBoard(bad({ cpu: 'cortex-a53' }), 'x.json'), 'E_BOARD_INVALID', /'cpu' must be one of/);
    expectTt(() => validateBoard(bad({ fpu: 'none' }), 'x.json'), 'E_BOARD_INVALID', /'float_abi' must be "soft"/);
    expectTt(() => validateBoard(bad({ stack_bytes: 5000 }), 'x.json'), 'E_BOARD_INVALID', /'stack_bytes' must be >= 1024 and a multiple of 1024/);
    expectTt(() => validateBoard(bad({ memory: { flash: { origin: '0x08000000', size: 1 << 20 } } }), 'x.json'), 'E_BOARD_INVALID', /'memory.sram' must be an object/);
    const emu = { ...(good.emulator as object), cpu_clock_hz: 24000000 };
    expectTt(() => validateBoard(bad({ emulator: emu }), 'x.json'), 'E_BOARD_INVALID', /cpu_clock_hz' must divide 1e9/);
    const small = { ...(good.emulator as object), sram_window: 65536 };
    expectTt(() => validateBoard(bad({ emulator: small }), 'x.json'), 'E_BOARD_INVALID', /sram_window' is smaller/);
  });
});

describe('templates', () => {
  it('linker script: the board\'s real sizes, emulator and board origins, guard and overflow checks', () => {
    const ld = renderLinkerScript(linkerContext(loadBoard('stm32f746')));
    assert.match(ld, /__tt_flash_start = DEFINED\(TT_TARGET_EMU\) \? 0x00000000 : 0x08000000;/);
    assert.match(ld, /__tt_ram_start = DEFINED\(TT_TARGET_EMU\) \? 0x20000000 : 0x20000000;/);
    assert.match(ld, /FLASH \(rx\)\s+: ORIGIN = __tt_flash_start, LENGTH = 1048576/);
    assert.match(ld, /RAM\s+\(rwx\) : ORIGIN = __tt_ram_start, LENGTH = 327680/);
    assert.match(ld, /__tt_guard_bytes = 1024;/);
    assert.match(ld, /ASSERT\(__tt_stack_guard % __tt_guard_bytes == 0/);
    for (const s of ['.isr_vector', '.text', '.rodata', '.data', '.bss', '.noinit', '.stack']) assert.ok(ld.includes(`  ${s} `), s);
    assert.ok(!ld.includes('{{'));
  });

  it('Makefile: board flags, icount conversion, targets', () => {
    const mk = renderMakefile(makefileContext(loadBoard('mps2-an386'), ['-DFOO=1']));
    assert.match(mk, /^CPU_FLAGS := -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard$/m);
    assert.match(mk, /-DTT_INSTR_PER_TICK=40/);
    assert.match(mk, /-DTT_HAS_MPU=1 -DFOO=1/);
    assert.match(mk, /^\tqemu|^\ttimeout \$\(TIMEOUT\) \$\(QEMU\) -M mps2-an386 -cpu cortex-m4/m);
    for (const t of ['all:', 'host:', 'run:', 'size:', 'clean:']) assert.ok(mk.includes(`\n${t}`), t);
    assert.ok(!/^ {2,}\$\(CC\)/m.test(mk), 'recipes are tab-indented');
    assert.throws(() => makefileContext(loadBoard('mps2-an386'), ['-DX="a b"']), TinytrainError);
  });
});

describe('toolchain: build and emulate', function () {
  this.timeout(180000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-toolchain-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const project = (name: string, board = 'stm32f746'): string => makePlatformProject(path.join(root, name), board);

  let emuBuild: BuildResult;
  let dir: string;
  before(() => {
    dir = project('f7');
    emuBuild = build(dir, { target: 'emu', extraCflags: ['-DTEST_BIG_SRAM=4096'] });
    writeSamples(path.join(dir, 'samples.bin'), 8, randomRecords(2, 8, 5, () => 1), randomRecords(2, 8, 6, () => 2));
    writeSamples(path.join(dir, 'long.bin'), 8, [[-4, new Int8Array(8)]], []);
  });

  it('builds firmware.elf, .map and .bin and accounts flash and SRAM by section', () => {
    const s = emuBuild.sizes!;
    for (const f of [emuBuild.elfPath!, emuBuild.mapPath!, emuBuild.binPath!]) assert.ok(fs.existsSync(f), f);
    assert.equal(s.flash.capacity, 1 << 20);
    assert.equal(s.sram.capacity, 320 * 1024);
    assert.equal(s.sram.stack, loadBoard('stm32f746').stack_bytes);
    assert.equal(s.sram.guard, 1024);
    assert.equal(s.linkerSymbols.__tt_stack_top, 0x20000000 + 320 * 1024);
    assert.equal(s.linkerSymbols.__tt_flash_start, 0); // TARGET=emu: mps2 memory at 0x0
    assert.deepEqual(s.noinitObjects.map((o) => [o.name, o.size]), [['big_sram', 4096]]);
    assert.equal(s.sram.noinit, 4096);
    // Independent oracle: binutils' view of the same sections.
    const size = spawnSync('arm-none-eabi-size', ['-A', emuBuild.elfPath!], { encoding: 'utf8' }).stdout;
    const sec = (n: string): number => Number(size.split('\n').find((l) => l.startsWith(n + ' '))?.trim().split(/\s+/)[1] ?? 0);
    assert.equal(s.flash.text, sec('.text'));
    assert.equal(s.flash.vectors, sec('.isr_vector'));
    assert.equal(s.flash.rodata, sec('.rodata') + sec('.ARM.exidx') + sec('.ARM.extab'));
    assert.equal(s.flash.total, s.flash.vectors + s.flash.text + s.flash.rodata + s.flash.data + s.flash.other);
    assert.equal(s.sram.bss, sec('.bss'));
    assert.equal(s.sram.data, sec('.data'));
    assert.equal(s.sram.guard + s.sram.stack, sec('.stack'));
    assert.equal(s.sram.total, s.sram.data + s.sram.bss + s.sram.noinit + s.sram.guard + s.sram.stack + s.sram.other);
    assert.match(fs.readFileSync(emuBuild.mapPath!, 'utf8'), /big_sram/);
  });

  it('TARGET=board links at the board\'s addresses (.data initial values in its flash)', () => {
    const b = build(project('f7-board'), { target: 'board' });
    const vec = b.elf!.sections.find((s) => s.name === '.isr_vector')!;
    const data = b.elf!.sections.find((s) => s.name === '.data');
    assert.equal(vec.address, 0x08000000);
    assert.equal(b.sizes!.linkerSymbols.__tt_flash_start, 0x08000000);
    if (data) {
      assert.ok(data.address >= 0x20000000);
      assert.ok(data.loadAddress >= 0x08000000 && data.loadAddress < 0x08100000);
    }
    assert.ok(/-DTT_TARGET_BOARD=1 -DTT_INSTR_PER_TICK=1/.test(b.log));
  });

  it('fails the link with a clear message when the image exceeds the board\'s flash or SRAM', () => {
    const d = project('too-big');
    assert.throws(() => build(d, { target: 'emu', extraCflags: ['-DTEST_BIG_FLASH=1100000'] }), (e: unknown) => {
      assert.ok(e instanceof BuildError);
      assert.match(e.message, /tinytrain: the image does not fit the stm32f746 flash \(1048576 bytes\)/);
      return true;
    });
    assert.throws(() => build(d, { target: 'emu', extraCflags: ['-DTEST_BIG_SRAM=320000'] }), (e: unknown) => {
      assert.ok(e instanceof BuildError);
      assert.match(e.message, /does not fit the stm32f746 SRAM \(327680 bytes\).*run into the stack/);
      return true;
    });
    // The same 1.1 MB fits the 4 MB of the MPS2 board.
    build(project('big-on-mps2', 'mps2-an386'), { target: 'emu', extraCflags: ['-DTEST_BIG_FLASH=1100000'] });
  });

  it('reports the compiler\'s first error lines, and printf does not link (no syscalls)', () => {
    const d = project('broken');
    fs.writeFileSync(path.join(d, 'main.c'), 'int main(int argc, char **argv) { return argc + undeclared_thing; }\n');
    assert.throws(() => build(d, { target: 'emu' }), (e: unknown) => {
      assert.ok(e instanceof BuildError);
      assert.match(e.message, /main\.c:1:\d+: error: 'undeclared_thing' undeclared/);
      assert.ok(e.log.length > e.message.length);
      return true;
    });
    fs.writeFileSync(path.join(d, 'main.c'), '#include <stdio.h>\nint main(int argc, char **argv) { (void)argv; printf("%d", argc); return 0; }\n');
    assert.throws(() => build(d, { target: 'emu' }), /undefined reference to `_(write|sbrk)/);
  });

  it('PRINT_LOGITS=1 and EXTRA_CFLAGS reach the compiler; make host uses the host platform', () => {
    const d = project('flags', 'mps2-an386');
    const b = build(d, { target: 'emu', printLogits: true, extraCflags: ['-DTT_TEST_FLAG=3'] });
    assert.match(b.log, /-DTT_PRINT_LOGITS/);
    assert.match(b.log, /-DTT_TEST_FLAG=3/);
    const h = build(d, { target: 'host' });
    assert.match(h.log, /-DTT_PLATFORM_HOST=1/);
    assert.match(h.log, /runtime\/platform\/host\/tt_platform_host\.c/);
    assert.ok(!/platform\/(cortexm|semihost)/.test(h.log));
    assert.ok(fs.existsSync(h.artifact));
    // Nothing changed: make does nothing the second time.
    assert.doesNotMatch(build(d, { target: 'host' }).log, /\bcc\b.*-c /);
  });

  it('emulate streams lines and parses events; a hung program times out with a clear error', async () => {
    const seen: Array<[string, FirmwareEvent | null]> = [];
    const r = await emulate(dir, { board: 'stm32f746', timeoutSec: 30, onLine: (l, e) => seen.push([l, e]) });
    assert.equal(r.exitCode, 2);
    assert.deepEqual(seen.map(([l]) => l), r.lines);
    assert.equal(r.events[0].event, 'start');
    assert.equal(r.done?.exit_code, 2);
    assert.deepEqual(r.command.slice(3, 7), ['qemu-system-arm', '-M', 'mps2-an500', '-cpu']);
    await assert.rejects(emulate(dir, { board: 'stm32f746', timeoutSec: 1, samples: 'long.bin' }), (e: unknown) => {
      assert.ok(e instanceof TinytrainError);
      assert.equal(e.code, 'E_RUN_TIMEOUT');
      assert.match(e.message, /QEMU did not finish within 1 s/);
      return true;
    });
    await assert.rejects(emulate(dir, { board: 'stm32f746', extraArgs: ['-no-such-flag'] }), /QEMU failed.*no-such-flag/);
    const noEmu = { ...loadBoard('stm32f746'), emulator: null };
    await assert.rejects(emulate(dir, { board: noEmu }), /has no emulator/);
  });
});
