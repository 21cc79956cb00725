// Issue 4's headline: MCUNet-5fps at 128x128 with TTE's "49kb" sparse scheme trains in at
// most 128 KB of SRAM in total (arena, trainable parameters, runtime state and the stack
// peak measured in the emulator), and the firmware fits the STM32F746.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gen } from '../src/pipeline/gen';
import { buildProject, emulateProject } from '../src/pipeline/run';
import { writeNpyDataset } from './helpers/npy';

const ROOT = path.resolve(__dirname, '..', '..');
const ZOO = path.join(ROOT, 'models', 'zoo');

describe('MCUNet-5fps, 49kb scheme, in 128 KB', function () {
  this.timeout(600_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-mcunet-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('plans under the 128 KB budget, builds for the STM32F746, trains in QEMU and measures under 128 KB', async () => {
    const data = path.join(tmp, 'data');
    writeNpyDataset(data, [3, 128, 128], 16, 2, 10, 11);
    const crcs: string[] = [];
    for (const steps of [3]) {
      const out = path.join(tmp, `out-${steps}`);
      const r = await gen({
        model: path.join(ZOO, 'mcunet-5fps.onnx'), data, board: 'stm32f746', scheme: path.join(ZOO, 'schemes', 'mcunet-5fps-49kb.json'),
        out, evalSamples: 2, calibSamples: 16, trainSamples: 3, steps, lr: 0.01, budget: '128KB',
      });
      const mem = r.report.memory as { sram_plan: { total: number; trainable_weights: number }; arena_bytes: number; lower_bound_bytes: number };
      assert.ok(mem.sram_plan.total <= 128 * 1024, `planned ${mem.sram_plan.total} B`);
      assert.equal(mem.sram_plan.trainable_weights, 13696, 'TTE updates 13,696 int8 weights with this scheme');
      assert.ok(mem.arena_bytes <= 1.02 * mem.lower_bound_bytes);
      const b = buildProject(out, 'emu');
      assert.ok((b.flash_bytes ?? Infinity) <= 1024 * 1024 && (b.sram_static_bytes ?? Infinity) <= 320 * 1024);
      const e = await emulateProject(out, {});
      assert.equal(e.exit_code, 0);
      assert.equal(e.train_steps, 3);
      assert.equal(e.skipped_updates, 0);
      assert.ok(e.eval.every((x) => x.loss !== null && Number.isFinite(x.loss)), 'finite loss');
      assert.ok(e.sram && e.sram.total <= 128 * 1024, `measured ${JSON.stringify(e.sram)}`);
      assert.ok(e.sram && e.sram.stack > 0);
      crcs.push(e.params_crc32 ?? '');
    }
    // Weights change: the trained parameters differ from a run with learning rate 0.
    const out0 = path.join(tmp, 'lr0');
    await gen({
      model: path.join(ZOO, 'mcunet-5fps.onnx'), data, board: 'stm32f746', scheme: path.join(ZOO, 'schemes', 'mcunet-5fps-49kb.json'),
      out: out0, evalSamples: 2, calibSamples: 16, trainSamples: 3, steps: 3, lr: 0, budget: '128KB',
    });
    buildProject(out0, 'host');
    const still = await emulateProject(out0, { host: true });
    assert.notEqual(crcs[0], still.params_crc32, 'the updated weights did not change');
  });
});
