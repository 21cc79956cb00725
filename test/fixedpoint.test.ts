import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { quantizeMultiplier, requantize } from '../src/quant/fixedpoint';

// Independent vectors computed from the published TFLite/gemmlowp definitions.
const vectorsPath = path.resolve(__dirname, '../../test/fixtures/anchors/requant-vectors.json');
interface RequantCase { acc: number; multiplier: number; shift: number; zero_point: number; act_min: number; act_max: number; scaled: number; out: number }
interface MultCase { real_hex: string; multiplier: number; shift: number }

describe('fixed point (TypeScript side)', () => {
  const v = JSON.parse(fs.readFileSync(vectorsPath, 'utf8')) as { requantize: RequantCase[]; quantize_multiplier: MultCase[] };

  it('quantizeMultiplier reproduces all 1000 TFLite encodings', () => {
    let bad = 0;
    for (const c of v.quantize_multiplier) {
      const real = Buffer.from(c.real_hex, 'hex').readDoubleBE(0);
      const q = quantizeMultiplier(real);
      if (q.multiplier !== c.multiplier || q.shift !== c.shift) bad++;
    }
    assert.equal(bad, 0, `${bad} encodings differ`);
  });

  it('requantize reproduces all 3000 double-rounding cases', () => {
    let bad = 0;
    for (const c of v.requantize) {
      const scaled = requantize(c.acc, c.multiplier, c.shift);
      const out = Math.min(c.act_max, Math.max(c.act_min, scaled + c.zero_point));
      if (scaled !== c.scaled || out !== c.out) bad++;
    }
    assert.equal(bad, 0, `${bad} cases differ`);
  });
});
