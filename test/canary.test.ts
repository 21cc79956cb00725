// Firmware guards (issue 6): the arena canary and the fault reports. A small generated
// project is built with compile-time test hooks (runtime/src/tt_test_hooks.c, through
// EXTRA_CFLAGS): -DTT_TEST_CORRUPT_ARENA=N writes one byte past the arena's end in the middle
// of training step N, which the canary must report as a JSON fault line with exit code 2 on
// the host and in QEMU; -DTT_TEST_FAULT=K raises a HardFault, a stack overflow into the MPU
// guard, a BusFault or a UsageFault in the middle of a training step, each of which must print
// a readable fault line and exit 3 in QEMU. Without a hook the same project runs clean, and
// the canary is where the firmware checks it: right after tt_arena, counted in the ELF's
// SRAM state within what the plan reserves for it.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { importOnnx } from '../src/onnx';
import { RUNTIME_STATE_BYTES } from '../src/memory';
import { gen } from '../src/pipeline/gen';
import { buildProject, emulateProject } from '../src/pipeline/run';
import { build, emulate, findSymbol, readElf, runHost, RunResult } from '../src/toolchain';
import { writeNpyDataset } from './helpers/npy';

const ROOT = path.resolve(__dirname, '..', '..');
const MODEL = path.join(ROOT, 'models', 'default.onnx');
const STEPS = 12;
const CORRUPT_AT = 5;
const BOARDS = ['stm32f746', 'mps2-an386'];

/** A copy of a generated project (build/ excluded), to build with other flags. */
function variant(from: string, to: string): string {
  fs.cpSync(from, to, { recursive: true, filter: (src) => path.relative(from, src).split(path.sep)[0] !== 'build' });
  return to;
}

const show = (r: RunResult): string => r.lines.join('\n');

describe('firmware guards: arena canary and fault reports', function () {
  this.timeout(900_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-canary-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const base: Record<string, string> = {};
  let arenaBytes = 0;

  before(async () => {
    const data = path.join(tmp, 'data');
    const g = importOnnx(fs.readFileSync(MODEL));
    writeNpyDataset(data, g.input.shape.slice(1), 32, 8, g.shapes[g.output][1]);
    for (const board of BOARDS) {
      base[board] = path.join(tmp, `gen-${board}`);
      const r = await gen({ model: MODEL, data, board, scheme: 'bias+last:2', out: base[board], evalSamples: 8, calibSamples: 32, trainSamples: 32, steps: STEPS });
      arenaBytes = (r.report.memory as { arena_bytes: number }).arena_bytes;
    }
  });

  it('without a hook: clean runs on the host and in QEMU, the canary right after the arena and within the planned SRAM state', async () => {
    for (const board of BOARDS) {
      const out = variant(base[board], path.join(tmp, `clean-${board}`));
      buildProject(out, 'emu'); // checks tt_arena and the trainable symbols against the plan
      buildProject(out, 'host');
      const elf = readElf(path.join(out, 'build', 'firmware.elf'));
      const arena = findSymbol(elf, 'tt_arena')!;
      const guard = findSymbol(elf, 'tt_arena_guard')!;
      assert.equal(arena.size, arenaBytes);
      assert.equal(guard.size, 16);
      assert.equal(guard.value, arena.value + arena.size, 'the canary is not right after the arena');
      assert.equal(guard.section, '.noinit');
      const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { memory: { arena_guard_bytes: number; elf: { state_bytes: number } } };
      assert.equal(report.memory.arena_guard_bytes, guard.size);
      assert.ok(report.memory.elf.state_bytes <= RUNTIME_STATE_BYTES, `ELF state ${report.memory.elf.state_bytes} B > planned ${RUNTIME_STATE_BYTES} B`);
      for (const host of [false, true]) {
        const lines: string[] = [];
        const s = await emulateProject(out, { host, timeoutSec: 300, onLine: (l) => lines.push(l) });
        assert.equal(s.exit_code, 0, lines.join('\n'));
        assert.equal(s.fault, null);
        assert.equal(s.error, null);
        assert.equal(s.train_steps, STEPS);
      }
    }
  });

  it('-DTT_TEST_CORRUPT_ARENA: a byte written past the arena is reported as an arena_overflow fault, exit 2, host and QEMU', async () => {
    for (const board of BOARDS) {
      const out = variant(base[board], path.join(tmp, `corrupt-${board}`));
      const cflags = [`-DTT_TEST_CORRUPT_ARENA=${CORRUPT_AT}`];
      build(out, { target: 'emu', extraCflags: cflags });
      build(out, { target: 'host', extraCflags: cflags });
      const runs = [await emulate(out, { board, timeoutSec: 300 }), await runHost(out, { timeoutSec: 300 })];
      for (const r of runs) {
        assert.equal(r.exitCode, 2, show(r));
        const f = r.fault;
        assert.ok(f, show(r));
        const line = r.lines[r.lines.length - 1];
        assert.ok(line.startsWith('{"event":"fault","kind":"arena_overflow"'), line);
        assert.equal(f.kind, 'arena_overflow');
        assert.equal(f.exit_code, 2);
        assert.equal(f.during, 'train_step');
        assert.equal(f.step, CORRUPT_AT);
        assert.equal(f.arena_bytes, arenaBytes);
        assert.equal(f.offset, arenaBytes, 'the first byte past the arena');
        assert.equal(f.found, ~Number(f.expected) & 0xff);
        assert.match(String(f.message), /past the end of the arena/);
        assert.equal(r.done, null);
        // It stopped at once: the evaluation before training ran, nothing after the bad step.
        assert.deepEqual(r.events.map((e) => e.event), ['start', 'eval', 'fault']);
      }
      assert.deepEqual(runs[0].lines.map((l) => l.replace(/"instructions":\d+/, '')), runs[1].lines.map((l) => l.replace(/"instructions":\d+/, '')));
    }
  });

  const faults: Array<{ k: number; kind: string; reason: RegExp; check?: (f: Record<string, unknown>) => void }> = [
    { k: 1, kind: 'HardFault', reason: /^escalated: undefined instruction$/, check: (f) => assert.ok(parseInt(String(f.hfsr), 16) & 0x40000000, `hfsr ${f.hfsr}: FORCED`) },
    { k: 2, kind: 'MemManage', reason: /^stack overflow into the MPU guard$/ },
    { k: 3, kind: 'BusFault', reason: /precise bus error/, check: (f) => assert.equal(f.bfar, '0xf0000000') },
    { k: 4, kind: 'UsageFault', reason: /^integer divide by zero$/, check: (f) => assert.ok(parseInt(String(f.cfsr), 16) & (1 << 25), `cfsr ${f.cfsr}: DIVBYZERO`) },
  ];

  it('-DTT_TEST_FAULT: HardFault, stack overflow, BusFault and UsageFault in a training step each print a fault line and exit 3 in QEMU', async () => {
    const board = 'stm32f746';
    for (const t of faults) {
      const out = variant(base[board], path.join(tmp, `fault${t.k}`));
      build(out, { target: 'emu', extraCflags: [`-DTT_TEST_FAULT=${t.k}`, '-DTT_TEST_FAULT_STEP=3'] });
      const r = await emulate(out, { board, timeoutSec: 300 });
      assert.equal(r.exitCode, 3, `${t.kind}: ${show(r)}`);
      const f = r.fault;
      assert.ok(f, show(r));
      assert.equal(f.kind, t.kind, show(r));
      assert.equal(f.exit_code, 3);
      assert.match(String(f.reason), t.reason, show(r));
      for (const key of ['cfsr', 'hfsr', 'pc', 'lr', 'mmfar', 'bfar']) assert.match(String(f[key]), /^0x[0-9a-f]{8}$/, key);
      t.check?.(f);
      assert.equal(r.done, null);
      assert.deepEqual(r.events.map((e) => e.event), ['start', 'eval', 'fault']);
    }
  });

  it('TT_TEST_FAULT is refused in a host build', () => {
    const out = variant(base.stm32f746, path.join(tmp, 'fault-host'));
    assert.throws(() => build(out, { target: 'host', extraCflags: ['-DTT_TEST_FAULT=1'] }), /device builds only/);
  });
});
