// The platform layer in C (firmware/platform, firmware/src/tt_io.c), exercised by a test
// firmware (test/c/platform/main.c) built through the generated Makefile and linker
// script for both boards and for the host. Oracles: the sums and CRC-32 of samples.bin
// computed here in TypeScript, the host build, the known instruction count of an
// assembly loop, the C library's printf for number formatting.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { build, emulate, runHost, RunResult, FirmwareEvent } from '../src/toolchain';
import { makePlatformProject, randomRecords, writeSamples } from './c/platform/fixture';

const REPO = path.resolve(__dirname, '..', '..');
const BOARDS = ['stm32f746', 'mps2-an386'];

const byEvent = (r: RunResult, e: string): FirmwareEvent[] => r.events.filter((x) => x.event === e);
/** The output with the counters (which only the device has) blanked. */
const portable = (r: RunResult): string[] =>
  r.lines.map((l) => l.replace(/"instructions":\d+/, '"instructions":N').replace(/"stack_peak_bytes":\d+/, '"stack_peak_bytes":N'));

describe('platform layer: test firmware on both boards and the host', function () {
  this.timeout(180000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-platform-'));
  const dir: Record<string, string> = {};
  let expected: Array<Record<string, unknown>> = [];
  const INPUT_BYTES = 30; // not a multiple of 4: exercises the record padding

  before(() => {
    for (const id of BOARDS) {
      dir[id] = makePlatformProject(path.join(root, id), id);
      build(dir[id], { target: 'emu' });
    }
    build(dir.stm32f746, { target: 'host' });
    for (const id of BOARDS) {
      const d = dir[id];
      expected = writeSamples(path.join(d, 'samples.bin'), INPUT_BYTES,
        randomRecords(5, INPUT_BYTES, 1, (i) => i % 10), randomRecords(3, INPUT_BYTES, 2, (i) => [4, 9, 0][i]));
      writeSamples(path.join(d, 'exit7.bin'), INPUT_BYTES, randomRecords(1, INPUT_BYTES, 3, () => 1), randomRecords(1, INPUT_BYTES, 4, () => 7));
      const mode = (name: string, label: number): void => {
        writeSamples(path.join(d, name), INPUT_BYTES, [[label, new Int8Array(INPUT_BYTES)]], [[0, new Int8Array(INPUT_BYTES)]]);
      };
      mode('overflow.bin', -1);
      mode('undef.bin', -2);
      mode('buserr.bin', -3);
      mode('long.bin', -4);
      const bad = Buffer.from(fs.readFileSync(path.join(d, 'samples.bin')));
      bad.write('XXS1', 0, 'latin1');
      fs.writeFileSync(path.join(d, 'badmagic.bin'), bad);
      fs.writeFileSync(path.join(d, 'truncated.bin'), fs.readFileSync(path.join(d, 'samples.bin')).subarray(0, 50));
    }
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const emu = (id: string, samples?: string): Promise<RunResult> => emulate(dir[id], { board: id, timeoutSec: 30, samples });
  const host = (samples?: string): Promise<RunResult> => runHost(dir.stm32f746, { timeoutSec: 30, samples });

  it('reads every record of samples.bin exactly (sums and CRC-32 match the TypeScript oracle)', async () => {
    for (const r of [await host(), ...(await Promise.all(BOARDS.map((id) => emu(id))))]) {
      assert.deepEqual(byEvent(r, 'samples'), expected, r.command.join(' '));
    }
  });

  it('passes the exit code through: 0 and 7, on both boards and the host', async () => {
    for (const samples of ['samples.bin', 'exit7.bin']) {
      const want = samples === 'samples.bin' ? 0 : 7;
      const runs = [await host(samples), ...(await Promise.all(BOARDS.map((id) => emu(id, samples))))];
      for (const r of runs) {
        assert.equal(r.exitCode, want, r.command.join(' '));
        assert.equal(r.done?.exit_code, want);
      }
    }
  });

  it('prints the same lines on the host and in QEMU, counters aside', async () => {
    const h = await host();
    assert.equal(h.stderr, '');
    for (const id of BOARDS) {
      const r = await emu(id);
      assert.deepEqual(portable(r), portable(h).map((l) => l.replace('"board":"stm32f746"', `"board":"${id}"`)));
      const floats = byEvent(r, 'floats')[0];
      assert.equal(Math.fround(Number(floats.third)), Math.fround(1 / 3)); // 9 digits round-trip
      assert.equal(floats.acc, 0.9123);
      assert.equal(floats.esc, 'q"b\\\n');
    }
  });

  it('counts the instructions of a fixed 2-instruction loop exactly and repeatably', async () => {
    for (const id of BOARDS) {
      const [a, b] = [await emu(id), await emu(id)];
      const ia = Number(byEvent(a, 'loop')[0].instructions);
      const ib = Number(byEvent(b, 'loop')[0].instructions);
      assert.equal(ia, ib, `${id}: two runs differ`);
      // 1e6 iterations of subs+bne = 2e6, plus the counter reads; one tick is 40.
      assert.ok(ia >= 2_000_000 && ia <= 2_000_200, `${id}: ${ia} instructions`);
      assert.equal(ia % 40, 0);
    }
    const h = await host();
    assert.equal(byEvent(h, 'loop')[0].instructions, 0);
  });

  it('keeps counting across SysTick wraps (720 M instructions, more than 2^24 ticks)', async () => {
    const r = await emu('stm32f746', 'long.bin');
    const n = Number(byEvent(r, 'loop')[0].instructions);
    assert.ok(n >= 720_000_000 && n <= 720_000_200, `${n}`);
  });

  it('reports a plausible painted-stack high-water mark', async () => {
    for (const id of BOARDS) {
      const peak = Number((await emu(id)).done?.stack_peak_bytes);
      assert.ok(peak > 64 && peak < 4096, `${id}: ${peak}`);
    }
  });

  it('turns a stack overflow into the MPU guard into a MemManage fault line and exit 3', async () => {
    for (const id of BOARDS) {
      const r = await emu(id, 'overflow.bin');
      assert.equal(r.exitCode, 3, r.lines.join('\n'));
      const f = r.fault!;
      assert.equal(f.kind, 'MemManage');
      const cfsr = parseInt(String(f.cfsr), 16);
      assert.ok(cfsr & 0x10 || cfsr & 0x02, `cfsr ${f.cfsr}: want MSTKERR or DACCVIOL`);
      // The faulting address is inside the 1 KB guard just below the stack.
      const sym = (name: string): number => parseInt(spawnSync('arm-none-eabi-nm', [path.join(dir[id], 'build', 'firmware.elf')], { encoding: 'utf8' })
        .stdout.split('\n').find((l) => l.endsWith(` ${name}`))!.split(' ')[0], 16);
      const mmfar = parseInt(String(f.mmfar), 16);
      assert.ok(mmfar >= sym('__tt_stack_guard') && mmfar < sym('__tt_stack_limit'), `mmfar ${f.mmfar}`);
      assert.equal(r.done, null);
      for (const k of ['cfsr', 'hfsr', 'pc', 'lr', 'mmfar', 'bfar']) assert.match(String(f[k]), /^0x[0-9a-f]{8}$/);
    }
  });

  it('reports an undefined instruction (UsageFault) and a bus error (BusFault), exit 3', async () => {
    for (const id of BOARDS) {
      const u = await emu(id, 'undef.bin');
      assert.equal(u.exitCode, 3);
      assert.equal(u.fault?.kind, 'UsageFault');
      assert.equal(parseInt(String(u.fault?.cfsr), 16) & 0x10000, 0x10000); // UNDEFINSTR
      assert.notEqual(u.fault?.pc, '0x00000000');
      const b = await emu(id, 'buserr.bin');
      assert.equal(b.exitCode, 3);
      assert.equal(b.fault?.kind, 'BusFault');
      assert.equal(b.fault?.bfar, '0xf0000000');
    }
  });

  it('exits 1 with an error line when samples.bin is missing or malformed', async () => {
    const cases: Array<[string, RegExp]> = [['missing.bin', /cannot open/], ['badmagic.bin', /magic/], ['truncated.bin', /length/]];
    for (const [file, why] of cases) {
      for (const r of [await host(file), await emu('stm32f746', file), await emu('mps2-an386', file)]) {
        assert.equal(r.exitCode, 1, `${file}: ${r.command.join(' ')}`);
        assert.equal(r.error?.file, file);
        assert.match(String(r.error?.message), why);
      }
    }
  });

  it('tt_io formats floats like printf %.9g / %.4f and every float round-trips', () => {
    const exe = path.join(root, 'io_check');
    const cc = spawnSync('cc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O2', '-ffp-contract=off', `-I${path.join(REPO, 'firmware', 'include')}`,
      path.join(REPO, 'test', 'c', 'platform', 'io_check.c'), path.join(REPO, 'firmware', 'src', 'tt_io.c'), '-o', exe], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const r = JSON.parse(spawnSync(exe, ['400000'], { encoding: 'utf8' }).stdout) as Record<string, number>;
    assert.ok(r.checked > 390000);
    assert.equal(r.no_roundtrip, 0);
    assert.equal(r.diff_fixed, 0);
    // Exact-decimal ties can round differently from glibc; they are vanishingly rare.
    assert.ok(r.diff_g <= 2, `${r.diff_g} differences from %.9g`);
  });
});
