// analyze/search: the additive gain model, the exact best-first search (against brute
// force), the evolutionary search (against a knapsack DP optimum), budgets and the frontier.
// Every oracle here is written independently of the search and counts its calls.
import { strict as assert } from 'assert';
import { TinytrainError } from '../src/errors';
import { Ratio } from '../src/ir/scheme';
import { configKey, emptyConfig, predictedGain, searchScheme, tradeoffFrontier } from '../src/analyze/search';
import { Config, GainTable, WEIGHT_RATIOS, WeightRatio } from '../src/analyze/types';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const randInt = (rng: () => number, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));

// ---------------------------------------------------------------- instances

/** Random gains, some negative; `quantized` uses multiples of 1/16 so that ties happen (exactly). */
function randomTable(rng: () => number, L: number, quantized: boolean): GainTable {
  const val = (lo: number, hi: number): number => {
    const v = lo + rng() * (hi - lo);
    return quantized ? Math.round(v * 16) / 16 : v;
  };
  const layers = Array.from({ length: L }, (_, i) => {
    const bias = val(-0.02, 0.05);
    const weights: Partial<Record<WeightRatio, number>> = {};
    for (const r of WEIGHT_RATIOS) if (rng() < 0.8) weights[r] = bias + val(-0.05, 0.2) * Math.sqrt(r);
    return { layer: `conv${i}`, index: i, kind: 'conv' as const, bias, weights };
  });
  const biasLastK: { k: number; gain: number }[] = [];
  for (let k = 1; k <= L; k++) if (rng() < 0.6) biasLastK.push({ k, gain: val(-0.02, 0.1) });
  return { baseline: 0.5, layers, biasLastK };
}

/** Every config the table allows: k in {0} ∪ measured, per layer 0 or a measured ratio. */
function allConfigs(t: GainTable): Config[] {
  const ks = [0, ...t.biasLastK.map((b) => b.k)];
  const options = t.layers.map((l): Ratio[] => [0, ...WEIGHT_RATIOS.filter((r) => l.weights[r] !== undefined)]);
  let partial: Ratio[][] = [[]];
  for (const opts of options) partial = partial.flatMap((p) => opts.map((r) => [...p, r]));
  return ks.flatMap((k) => partial.map((ratios) => ({ biasLastK: k, ratios })));
}

interface Counted { oracle: (c: Config) => number; calls: Map<string, number>; log: { c: Config; v: number }[] }

function counted(f: (c: Config) => number): Counted {
  const calls = new Map<string, number>();
  const log: { c: Config; v: number }[] = [];
  const oracle = (c: Config): number => {
    calls.set(configKey(c), (calls.get(configKey(c)) ?? 0) + 1);
    const v = f(c);
    log.push({ c, v });
    return v;
  };
  return { calls, log, oracle };
}

const dominates = (a: Config, b: Config): boolean =>
  a.biasLastK >= b.biasLastK && a.ratios.every((r, i) => r >= b.ratios[i]);

/**
 * Monotone, non-additive SRAM: activations kept for backprop down to the earliest updated
 * layer (a max, not a sum) plus per-option trainable bytes.
 */
function randomMemory(rng: () => number, L: number): (c: Config) => number {
  const base = randInt(rng, 2000, 6000);
  const depth = Array.from({ length: L }, (_, i) => (L - i) * randInt(rng, 100, 600));
  const bias = Array.from({ length: L }, () => randInt(rng, 8, 64));
  const weight = bias.map((b) => {
    const w: number[] = [];
    let acc = b;
    for (let r = 0; r < WEIGHT_RATIOS.length; r++) w.push((acc += randInt(rng, 0, 800)));
    return w;
  });
  return (c) => {
    let deepest = 0;
    let bytes = 0;
    c.ratios.forEach((r, i) => {
      const biasOn = i >= L - c.biasLastK;
      if (r > 0) bytes += weight[i][(WEIGHT_RATIOS as readonly Ratio[]).indexOf(r)];
      else if (biasOn) bytes += bias[i];
      if (r > 0 || biasOn) deepest = Math.max(deepest, depth[i]);
    });
    return base + deepest + bytes;
  };
}

/** Additive, monotone instructions per step. */
function randomTime(rng: () => number, L: number): (c: Config) => number {
  const per = Array.from({ length: L }, () => randInt(rng, 1000, 50000));
  return (c) => 100000 + c.biasLastK * 500 + c.ratios.reduce<number>((a, r, i) => a + Math.round(per[i] * r), 0);
}

function lexLess(a: Config, b: Config): boolean {
  if (a.biasLastK !== b.biasLastK) return a.biasLastK < b.biasLastK;
  for (let i = 0; i < a.ratios.length; i++) if (a.ratios[i] !== b.ratios[i]) return a.ratios[i] < b.ratios[i];
  return false;
}

/** Best feasible config by gain, then smaller memory, then lexicographically smaller. */
function bruteForce(t: GainTable, mem: (c: Config) => number, budget: number, time?: (c: Config) => number,
  timeBudget?: number): { config: Config; gain: number; sram: number } | null {
  let best: { config: Config; gain: number; sram: number } | null = null;
  for (const c of allConfigs(t)) {
    const gain = predictedGain(t, c);
    assert.notEqual(gain, null);
    const sram = mem(c);
    if (sram > budget || (time && timeBudget !== undefined && time(c) > timeBudget)) continue;
    const g = gain as number;
    if (!best || g > best.gain || (g === best.gain && (sram < best.sram || (sram === best.sram && lexLess(c, best.config))))) {
      best = { config: c, gain: g, sram };
    }
  }
  return best;
}

// ---------------------------------------------------------------- tests

describe('analyze/search', () => {
  describe('predictedGain', () => {
    const table: GainTable = {
      baseline: 0.6,
      layers: [
        { layer: 'a', index: 0, kind: 'conv', bias: 0.01, weights: { 0.5: 0.04, 1: 0.06 } },
        { layer: 'b', index: 1, kind: 'depthwise', bias: 0.02, weights: { 0.25: 0.03, 1: 0.05 } },
        { layer: 'c', index: 2, kind: 'gemm', bias: 0.125, weights: { 0.125: 0.25, 1: 0.5 } },
      ],
      biasLastK: [{ k: 1, gain: 0.125 }, { k: 2, gain: 0.25 }],
    };
    const gain = (k: number, ratios: Ratio[]): number | null => predictedGain(table, { biasLastK: k, ratios });
    const close = (a: number | null, b: number): void => {
      assert.notEqual(a, null);
      assert.ok(Math.abs((a as number) - b) < 1e-12, `${a} != ${b}`);
    };

    it('is zero for the empty config and the bias gain for bias only', () => {
      assert.equal(gain(0, [0, 0, 0]), 0);
      assert.deepEqual(emptyConfig(3), { biasLastK: 0, ratios: [0, 0, 0] });
      close(gain(1, [0, 0, 0]), 0.125);
      close(gain(2, [0, 0, 0]), 0.25);
    });

    it('adds weight gains, subtracting the biases the last-k part already counts', () => {
      close(gain(0, [0.5, 0.25, 1]), 0.04 + 0.03 + 0.5);
      // k=1: layer c overlaps: 0.125 + 0.04 + (0.5 - 0.125)
      close(gain(1, [0.5, 0, 1]), 0.125 + 0.04 + 0.375);
      // k=2: layers b and c overlap: 0.25 + 0.06 + (0.05 - 0.02) + (0.25 - 0.125)
      close(gain(2, [1, 1, 0.125]), 0.25 + 0.06 + 0.03 + 0.125);
      // k=2 with only layer b: 0.25 + (0.03 - 0.02)
      close(gain(2, [0, 0.25, 0]), 0.26);
    });

    it('is null for an unmeasured ratio or k', () => {
      assert.equal(gain(0, [0.125, 0, 0]), null);
      assert.equal(gain(0, [0, 0.5, 0]), null);
      assert.equal(gain(3, [0, 0, 0]), null);
      assert.equal(gain(1, [0, 0, 0.25]), null);
    });
  });

  describe('exact search', () => {
    it('matches brute force on random small instances and asks the oracle rarely', () => {
      let evaluated = 0;
      let configs = 0;
      let ties = 0;
      for (let inst = 0; inst < 32; inst++) {
        const rng = prng(1000 + inst);
        const L = randInt(rng, 3, 5);
        const table = randomTable(rng, L, inst % 2 === 0);
        const mem = randomMemory(rng, L);
        const all = allConfigs(table);
        const sizes = all.map(mem);
        const lo = mem(emptyConfig(L));
        const hi = Math.max(...sizes);
        const budget = lo + Math.floor(rng() * (hi - lo + 1));
        const expected = bruteForce(table, mem, budget);
        assert.ok(expected);
        const gains = all.filter((c) => mem(c) <= budget).map((c) => predictedGain(table, c));
        if (gains.filter((g) => g === expected.gain).length > 1) ties++;

        const counter = counted(mem);
        const r = searchScheme(table, counter.oracle, { budget });
        assert.equal(r.method, 'exhaustive');
        assert.deepEqual(r.config, expected.config, `instance ${inst}`);
        assert.equal(r.predictedGain, expected.gain);
        assert.equal(r.predictedGain, predictedGain(table, r.config));
        assert.equal(r.sramBytes, expected.sram);
        assert.equal(r.instructions, undefined);
        // Cached: no config asked twice, and `evaluated` counts exactly the calls.
        assert.ok([...counter.calls.values()].every((n) => n === 1));
        assert.equal(r.evaluated, counter.calls.size);
        // Monotone oracles: never asked about a config above one already over the budget.
        counter.log.forEach(({ c }, n) => assert.ok(
          !counter.log.slice(0, n).some((e) => e.v > budget && dominates(c, e.c)), `asked ${configKey(c)} again`));
        evaluated += r.evaluated;
        configs += all.length;
      }
      assert.ok(ties > 0, 'the quantized instances should exercise tie-breaking');
      assert.ok(evaluated < 0.03 * configs, `evaluated ${evaluated} of ${configs} configs`);
    });

    it('breaks gain ties by smaller memory, then the lexicographically smaller config', () => {
      const layer = (i: number): GainTable['layers'][number] =>
        ({ layer: `l${i}`, index: i, kind: 'conv', bias: 0.01, weights: { 1: 0.25 } });
      const table: GainTable = { baseline: 0.5, layers: [layer(0), layer(1)], biasLastK: [] };
      // Room for one layer only; [1, 0] and [0, 1] gain the same.
      const mem = (bytes: [number, number]) => (c: Config): number => 1000 + (c.ratios[0] ? bytes[0] : 0) + (c.ratios[1] ? bytes[1] : 0);
      assert.deepEqual(searchScheme(table, mem([100, 200]), { budget: 1250 }).config.ratios, [1, 0]);
      assert.deepEqual(searchScheme(table, mem([200, 100]), { budget: 1250 }).config.ratios, [0, 1]);
      assert.deepEqual(searchScheme(table, mem([100, 100]), { budget: 1150 }).config.ratios, [0, 1]);
    });

    it('respects a time budget too', () => {
      for (let inst = 0; inst < 12; inst++) {
        const rng = prng(5000 + inst);
        const L = randInt(rng, 3, 5);
        const table = randomTable(rng, L, false);
        const mem = randomMemory(rng, L);
        const time = randomTime(rng, L);
        const all = allConfigs(table);
        const budget = Math.max(...all.map(mem));
        const t0 = time(emptyConfig(L));
        const timeBudget = t0 + Math.floor(rng() * (Math.max(...all.map(time)) - t0));
        const expected = bruteForce(table, mem, budget, time, timeBudget);
        assert.ok(expected);
        const r = searchScheme(table, mem, { budget, time, timeBudget });
        assert.deepEqual(r.config, expected.config);
        assert.ok((r.instructions as number) <= timeBudget);
        assert.equal(r.instructions, time(r.config));
      }
    });
  });

  describe('evolutionary search', () => {
    // 40 layers, additive memory in multiples of 16 B: a multiple-choice knapsack per k.
    const L = 40;
    const rng = prng(42);
    const table = randomTable(rng, L, false);
    const base = 16 * 400;
    const biasBytes = Array.from({ length: L }, () => 16 * randInt(rng, 1, 4));
    const weightBytes = biasBytes.map((b) => {
      const size = randInt(rng, 10, 200);
      return WEIGHT_RATIOS.map((r) => b + 16 * Math.ceil(size * r));
    });
    const cost = (i: number, r: Ratio, k: number): number =>
      r > 0 ? weightBytes[i][(WEIGHT_RATIOS as readonly Ratio[]).indexOf(r)] : i >= L - k ? biasBytes[i] : 0;
    const mem = (c: Config): number => base + c.ratios.reduce<number>((a, r, i) => a + cost(i, r, c.biasLastK), 0);
    const full = mem({ biasLastK: L, ratios: new Array<Ratio>(L).fill(1) });

    /** Exact optimum of the additive model by DP over 16-byte units, for each k. */
    function knapsack(budget: number): number {
      const units = Math.floor((budget - base) / 16);
      let best = -Infinity;
      for (const k of [0, ...table.biasLastK.map((b) => b.k)]) {
        let dp = new Array<number>(units + 1).fill(0);
        table.layers.forEach((l, i) => {
          const next = new Array<number>(units + 1).fill(-Infinity);
          for (const r of [0, ...WEIGHT_RATIOS.filter((x) => l.weights[x] !== undefined)] as Ratio[]) {
            const w = cost(i, r, k) / 16;
            const v = r === 0 ? 0 : (l.weights[r] as number) - (i >= L - k ? l.bias : 0);
            for (let u = w; u <= units; u++) next[u] = Math.max(next[u], dp[u - w] + v);
          }
          dp = next;
        });
        const bias = k === 0 ? 0 : (table.biasLastK.find((b) => b.k === k) as { gain: number }).gain;
        if (dp[units] > -Infinity) best = Math.max(best, bias + dp[units]);
      }
      return best;
    }

    for (const fraction of [0.1, 0.3, 0.6]) {
      it(`reaches 95% of the knapsack optimum at ${fraction * 100}% of the full budget, deterministically`, () => {
        const budget = base + Math.round((full - base) * fraction);
        const optimum = knapsack(budget);
        const counter = counted(mem);
        const r = searchScheme(table, counter.oracle, { budget });
        assert.equal(r.method, 'evolutionary');
        assert.ok(r.sramBytes <= budget && mem(r.config) === r.sramBytes);
        assert.equal(r.predictedGain, predictedGain(table, r.config));
        assert.ok(r.predictedGain >= 0.95 * optimum, `${r.predictedGain} < 0.95 × ${optimum}`);
        assert.ok(r.predictedGain <= optimum + 1e-9);
        assert.equal(r.evaluated, counter.calls.size);
        assert.ok([...counter.calls.values()].every((n) => n === 1));
        assert.ok(r.evaluated <= 420, `${r.evaluated} oracle calls`);
        const again = searchScheme(table, mem, { budget });
        assert.deepEqual(again.config, r.config);
      });
    }

    it('respects a time budget', () => {
      const time = randomTime(prng(7), L);
      const timeBudget = time(emptyConfig(L)) + 200000;
      const r = searchScheme(table, mem, { budget: full, time, timeBudget });
      assert.equal(r.method, 'evolutionary');
      assert.ok((r.instructions as number) <= timeBudget);
      assert.equal(r.instructions, time(r.config));
      assert.ok(r.predictedGain > 0);
    });

    it('is used when maxExhaustive is exceeded, and stays close to brute force', () => {
      let ratioSum = 0;
      for (let inst = 0; inst < 8; inst++) {
        const irng = prng(9000 + inst);
        const l = randInt(irng, 4, 5);
        const t = randomTable(irng, l, false);
        const m = randomMemory(irng, l);
        const lo = m(emptyConfig(l));
        const budget = lo + Math.floor(irng() * (Math.max(...allConfigs(t).map(m)) - lo));
        const expected = bruteForce(t, m, budget) as { gain: number };
        const r = searchScheme(t, m, { budget, maxExhaustive: 0, seed: 3 });
        assert.equal(r.method, 'evolutionary');
        assert.ok(r.sramBytes <= budget);
        assert.ok(r.predictedGain <= expected.gain + 1e-12);
        ratioSum += expected.gain > 0 ? r.predictedGain / expected.gain : 1;
      }
      assert.ok(ratioSum / 8 >= 0.95, `mean ratio ${ratioSum / 8}`);
    });
  });

  describe('budgets and the frontier', () => {
    const rng = prng(77);
    const L = 4;
    const table = randomTable(rng, L, false);
    const mem = randomMemory(rng, L);
    const none = mem(emptyConfig(L));

    it('throws E_BUDGET naming the bytes over when nothing fits', () => {
      assert.throws(() => searchScheme(table, mem, { budget: none - 100 }), (e: unknown) => {
        assert.ok(e instanceof TinytrainError);
        assert.equal(e.code, 'E_BUDGET');
        assert.match(e.message, new RegExp(`budget of ${none - 100} B: .* needs ${none} B \\(100 B over\\)`));
        return true;
      });
      const time = randomTime(rng, L);
      assert.throws(() => searchScheme(table, mem, { budget: none, time, timeBudget: 10 }),
        (e: unknown) => e instanceof TinytrainError && e.code === 'E_BUDGET' && /time budget/.test(e.message));
    });

    it('gives non-decreasing gains over ascending budgets and skips those where nothing fits', () => {
      const hi = Math.max(...allConfigs(table).map(mem));
      const budgets = [hi, none - 1, none, ...Array.from({ length: 8 }, (_, i) => none + Math.round(((hi - none) * i) / 8))];
      const counter = counted(mem);
      const points = tradeoffFrontier(table, counter.oracle, budgets);
      assert.equal(points.length, budgets.length - 1);
      assert.ok(points.every((p) => p.budget >= none && p.sramBytes <= p.budget));
      for (let i = 1; i < points.length; i++) {
        assert.ok(points[i].budget >= points[i - 1].budget);
        assert.ok(points[i].predictedGain >= points[i - 1].predictedGain);
      }
      // Each point is the exact optimum, and the shared cache asked for each config once.
      for (const p of points) assert.equal(p.predictedGain, (bruteForce(table, mem, p.budget) as { gain: number }).gain);
      assert.ok([...counter.calls.values()].every((n) => n === 1));
    });
  });
});
