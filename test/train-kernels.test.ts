// Training kernels of the C runtime (firmware/train) against independent oracles:
//  - PyTorch: test/fixtures/grad/*.json from scripts/make_grad_fixtures.py (autograd on
//    the dequantized ops: dx, dW, db, the loss, and the int8 weights after one NEAREST
//    QAS step computed from the float step);
//  - finite differences of a small float64 reference forward written here;
//  - the definitions in firmware/include/tt_train.h for rounding, masks and the RNG;
//  - Math.exp/log/cos for tt_expf/tt_logf/tt_cosf, in ulps.
// The weight gradient never exists in memory, so it is read back through the update
// kernels: with rounding MASTER, master = 0 and learning rate lr, master becomes
// Δ = −lr·G/s_w[o] exactly as computed, hence G = −master·s_w[o]/lr. The master holds the
// updated slice only, in each kernel's layout (masterMap below maps it to weight indices).
// The C driver (test/c/train_driver.c) only plays commands written here.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import {
  ARM_TARGETS, STRICT_CFLAGS, compileC, haveCommand, makeTempDir, removeDir, runExe,
} from './helpers/cc';

function repoRoot(): string {
  let d = __dirname;
  while (!fs.existsSync(path.join(d, 'package.json'))) {
    const up = path.dirname(d);
    if (up === d) throw new Error('package.json not found above ' + __dirname);
    d = up;
  }
  return d;
}

const ROOT = repoRoot();
// TT_FIRMWARE_DIR points the tests at another copy of firmware/ (e.g. mutated sources).
const FIRMWARE = process.env.TT_FIRMWARE_DIR ?? path.join(ROOT, 'firmware');
const INCLUDE = path.join(FIRMWARE, 'include');
const TRAIN_DIR = path.join(FIRMWARE, 'train');
const DRIVER = path.join(ROOT, 'test', 'c', 'train_driver.c');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'grad');
const CFLAGS = [...STRICT_CFLAGS, '-fno-math-errno'];
const SEED = Number(process.env.TT_SEED ?? 20261121);

const trainSources = (): string[] =>
  fs.readdirSync(TRAIN_DIR).filter((f) => f.endsWith('.c')).sort().map((f) => path.join(TRAIN_DIR, f));
// What a driver links: the training kernels, and the forward conv the two-level stream
// calls to recompute its producer's input.
const linkSources = (): string[] => [...trainSources(), path.join(FIRMWARE, 'kernels', 'tt_conv_s8.c'), path.join(FIRMWARE, 'src', 'tt_fixedpoint.c')];

// ---------------------------------------------------------------------------------------
// Small utilities

type Rng = () => number;
function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const randInt = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const randn = (r: Rng): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
const f32 = Math.fround;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const fill = (n: number, v: number): number[] => new Array<number>(n).fill(v);

function maxAbs(v: readonly number[]): number {
  let m = 0;
  for (const x of v) m = Math.max(m, Math.abs(x));
  return m;
}

/** max |got − ref| / max |ref| (NaN counts as infinitely wrong). */
function relErr(got: readonly number[], ref: readonly number[], base?: readonly number[]): number {
  assert.strictEqual(got.length, ref.length, 'length');
  const scale = maxAbs(ref) || 1;
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i] - (base ? base[i] + ref[i] : ref[i])) / scale;
    worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  }
  return worst;
}

/** xorshift32 (13, 17, 5), the definition tt_rng follows. */
function xorshift(state: number): number {
  let x = state >>> 0;
  x = (x ^ (x << 13)) >>> 0;
  x = (x ^ (x >>> 17)) >>> 0;
  x = (x ^ (x << 5)) >>> 0;
  return x;
}
const uniformOf = (state: number): number => (state >>> 8) * 2 ** -24;

// ---------------------------------------------------------------------------------------
// Fixtures (scripts/make_grad_fixtures.py)

interface Arr { dtype: 'i8' | 'i32' | 'f32'; shape: number[]; b64: string }
function dec(a: Arr): number[] {
  const b = Buffer.from(a.b64, 'base64');
  const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  if (a.dtype === 'i8') return Array.from(new Int8Array(ab));
  if (a.dtype === 'i32') return Array.from(new Int32Array(ab));
  return Array.from(new Float32Array(ab));
}

interface ConvGeom {
  in_c: number; in_h: number; in_w: number; out_c: number; out_h: number; out_w: number;
  kh: number; kw: number; stride_h: number; stride_w: number; pad_t: number; pad_l: number; groups: number;
}
interface UpdateFixture {
  name: string; x_scale: number; x_zp: number; sel: number[]; lr: number; lr_bias: number;
  x: Arr; w: Arr; w_scale: Arr; bias: Arr; dy: Arr; dx: Arr; dw: Arr; db: Arr;
  w_nearest: Arr; w_ties: number[]; b_nearest: Arr; b_ties: number[];
}
interface ConvFixture extends ConvGeom, UpdateFixture { kernel: 'conv' | 'depthwise' | 'pointwise'; pad_b: number; pad_r: number }
interface FcFixture extends UpdateFixture { kernel: 'fc'; in_features: number; out_features: number }
interface PoolGeom {
  c: number; in_h: number; in_w: number; out_h: number; out_w: number; kh: number; kw: number;
  stride_h: number; stride_w: number; pad_t: number; pad_l: number; count_include_pad: number;
}
interface PoolFixture extends PoolGeom { name: string; kind: 'avg' | 'max' | 'gap'; x: Arr; dy: Arr; dx: Arr }
interface ActFixture { name: string; op: string; n: number; lo: number; hi: number; y: Arr; dy: Arr; dx: Arr }
interface XentFixture { name: string; n: number; scale: number; zp: number; label: number; logits: Arr; loss: number; dlogits: Arr }
interface MultiConvConsumer {
  op: 'conv' | 'pool'; kernel?: 'conv' | 'depthwise' | 'pointwise'; kind?: 'avg' | 'max' | 'gap';
  out_c?: number; out_h: number; out_w: number; kh: number; kw: number; stride_h: number; stride_w: number;
  pad_t: number; pad_l: number; groups?: number; count_include_pad?: number; w?: Arr; w_scale?: Arr; dy: Arr;
}
interface MultiFcConsumer { op: 'fc'; out_features: number; w: Arr; w_scale: Arr; dy: Arr }
interface MultiFixture {
  name: string; c?: number; in_h?: number; in_w?: number; in_features?: number;
  x: Arr; consumers: (MultiConvConsumer | MultiFcConsumer)[]; dx: Arr;
}

const fixtureCache = new Map<string, unknown[]>();
function fixtures<T>(file: string): T[] {
  let c = fixtureCache.get(file);
  if (!c) {
    const j = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${file}.json`), 'utf8')) as { cases: unknown[] };
    fixtureCache.set(file, (c = j.cases));
  }
  return c as T[];
}

// ---------------------------------------------------------------------------------------
// Driver commands (see the protocol in test/c/train_driver.c)

const ROUND_NEAREST = 0, ROUND_STOCHASTIC = 1, ROUND_MASTER = 2;
const FN_CONV = 0, FN_DW = 1, FN_PW = 2;

/** A number as a driver token; −0 stays "-0" (String(−0) is "0"). */
const numTok = (v: number | string): string => (Object.is(v, -0) ? '-0' : String(v));
const tok = (...parts: (number | string | readonly number[])[]): string =>
  parts.map((p) => (Array.isArray(p) ? p.map(numTok).join(' ') : numTok(p as number | string))).join(' ');
const geomTokens = (g: ConvGeom): number[] =>
  [g.in_c, g.in_h, g.in_w, g.out_c, g.out_h, g.out_w, g.kh, g.kw, g.stride_h, g.stride_w, g.pad_t, g.pad_l, g.groups];
const poolTokens = (p: PoolGeom): number[] =>
  [p.c, p.in_h, p.in_w, p.out_h, p.out_w, p.kh, p.kw, p.stride_h, p.stride_w, p.pad_t, p.pad_l, p.count_include_pad];

const convbwCmd = (fn: number, g: ConvGeom, acc: number, w: readonly number[], ws: readonly number[],
  dy: readonly number[], dx0: readonly number[]): string => tok('convbw', fn, geomTokens(g), acc, w, ws, dy, dx0);

interface UpdateArgs {
  xScale: number; xZp: number; rounding: number; seed: number; steps: number; lr: number;
  sel: readonly number[] | null; nSel?: number; w: readonly number[]; ws: readonly number[];
  master: readonly number[] | null; xs: readonly number[]; dy: readonly number[];
}
const selTokens = (a: UpdateArgs): (number | readonly number[])[] =>
  [a.sel ? 1 : 0, a.sel ? a.sel.length : a.nSel ?? 0, a.sel ?? []];
const masterTokens = (m: readonly number[] | null): (number | readonly number[])[] => (m ? [1, m.length, m] : [0]);
const convupCmd = (fn: number, g: ConvGeom, a: UpdateArgs): string =>
  tok('convup', fn, geomTokens(g), a.xScale, a.xZp, a.rounding, a.seed, a.steps, a.lr, ...selTokens(a),
    a.w, a.ws, ...masterTokens(a.master), a.xs, a.dy);
const fcupCmd = (inF: number, outF: number, a: UpdateArgs): string =>
  tok('fcup', inF, outF, a.xScale, a.xZp, a.rounding, a.seed, a.steps, a.lr, ...selTokens(a),
    a.w, a.ws, ...masterTokens(a.master), a.xs, a.dy);
const biasupCmd = (outC: number, plane: number, xScale: number, rounding: number, seed: number, steps: number,
  lr: number, bias: readonly number[], ws: readonly number[], master: readonly number[] | null, dy: readonly number[]): string =>
  tok('biasup', outC, plane, xScale, rounding, seed, steps, lr, bias, ws, master ? 1 : 0, master ?? [], dy);
const poolKind = { avg: 0, max: 1, gap: 2 } as const;
const poolbwCmd = (kind: 'avg' | 'max' | 'gap', p: PoolGeom, acc: number, x: readonly number[] | null,
  dy: readonly number[], dx0: readonly number[]): string =>
  tok('poolbw', poolKind[kind], poolTokens(p), acc, kind === 'max' ? x ?? [] : [], dy, dx0);

/** A float printed by the driver (%.9g: the exact float32 value after fround). */
const num = (t: string): number =>
  t === 'nan' || t === '-nan' ? NaN : t === 'inf' ? Infinity : t === '-inf' ? -Infinity : f32(Number(t));

/** Update output: n weights (or biases), nMaster master entries (0: none passed), final rng state. */
function parseUpdate(line: string[], n: number, nMaster: number): { q: number[]; master: number[]; state: number } {
  assert.strictEqual(line.length, n + nMaster + 1, 'update output length');
  return {
    q: line.slice(0, n).map(Number),
    master: line.slice(n, n + nMaster).map(num),
    state: Number(line[line.length - 1]),
  };
}

let driverExe = '';
let workDir = '';
let batchNo = 0;
const played: { cmds: string[]; stdout: string }[] = [];

function runCmds(cmds: string[], exe = driverExe): string[][] {
  const file = path.join(workDir, `batch-${batchNo++}.txt`);
  fs.writeFileSync(file, cmds.join('\n') + '\n');
  const r = runExe(exe, [file], {
    env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0', UBSAN_OPTIONS: 'print_stacktrace=1' },
    timeoutMs: 120_000,
  });
  assert.strictEqual(r.status, 0, `driver exited ${r.status} ${r.signal ?? ''}\n${r.stderr}`);
  assert.strictEqual(r.stderr, '', r.stderr);
  if (exe === driverExe) played.push({ cmds, stdout: r.stdout });
  const lines = r.stdout.split('\n');
  lines.pop();
  assert.strictEqual(lines.length, cmds.length, 'one output line per command');
  lines.forEach((l, i) => assert.notStrictEqual(l, 'GUARD', `wrote outside its buffers: ${cmds[i].slice(0, 120)}`));
  return lines.map((l) => (l === '' ? [] : l.split(' ')));
}

// ---------------------------------------------------------------------------------------
// Layout helpers

function gather(x: readonly number[], plane: number, sel: readonly number[]): number[] {
  const out: number[] = [];
  for (const c of sel) for (let i = 0; i < plane; i++) out.push(x[c * plane + i]);
  return out;
}

/** Per weight index: is its input channel selected? (OIHW; group rule of tt_train.h) */
function convSelectedMask(g: ConvGeom, sel: readonly number[]): boolean[] {
  const ipg = g.in_c / g.groups, opg = g.out_c / g.groups, k = g.kh * g.kw;
  const s = new Set(sel);
  const m: boolean[] = [];
  for (let o = 0; o < g.out_c; o++) for (let j = 0; j < ipg; j++) {
    const on = s.has(Math.floor(o / opg) * ipg + j);
    for (let t = 0; t < k; t++) m.push(on);
  }
  return m;
}

function fcSelectedMask(inF: number, outF: number, sel: readonly number[]): boolean[] {
  const s = new Set(sel);
  const m: boolean[] = [];
  for (let n = 0; n < outF; n++) for (let k = 0; k < inF; k++) m.push(s.has(k));
  return m;
}

const FN_FC = -1;
/** The master layout of each update kernel (tt_train.h): entry k mirrors weight map[k], or
 * −1 where unused (tt_conv_update_s8: (o, s) with sel[s] outside o's group). Its length is
 * the slice size: conv out_c·n_sel·kh·kw, depthwise n_sel·kh·kw, pointwise out_c·n_sel;
 * fc (FN_FC, with in_c = in_features, out_c = out_features, 1x1) out·n_sel. */
function masterMap(fn: number, g: ConvGeom, sel: readonly number[]): number[] {
  const ipg = g.in_c / g.groups, opg = g.out_c / g.groups, k2 = g.kh * g.kw;
  const map: number[] = [];
  if (fn === FN_DW) {
    for (const c of sel) for (let t = 0; t < k2; t++) map.push(c * k2 + t);
    return map;
  }
  for (let o = 0; o < g.out_c; o++) {
    const i0 = Math.floor(o / opg) * ipg;
    for (const i of sel) for (let t = 0; t < k2; t++) map.push(i >= i0 && i < i0 + ipg ? (o * ipg + i - i0) * k2 + t : -1);
  }
  return map;
}
const fcGeom = (inF: number, outF: number): ConvGeom => ({
  in_c: inF, in_h: 1, in_w: 1, out_c: outF, out_h: 1, out_w: 1, kh: 1, kw: 1, stride_h: 1, stride_w: 1, pad_t: 0, pad_l: 0, groups: 1,
});
/** The slice of a full per-weight array in a master layout (`unused` where map is −1). */
const toSlice = (map: readonly number[], full: readonly number[], unused = 0): number[] =>
  map.map((j) => (j >= 0 ? full[j] : unused));
/** A master slice spread back over the weights (`rest` where no entry mirrors a weight). */
function fromSlice(map: readonly number[], slice: readonly number[], n: number, rest = NaN): number[] {
  const full = fill(n, rest);
  map.forEach((j, k) => { if (j >= 0) full[j] = slice[k]; });
  return full;
}

const convFns = (kernel: string): number[] =>
  kernel === 'depthwise' ? [FN_CONV, FN_DW] : kernel === 'pointwise' ? [FN_CONV, FN_PW] : [FN_CONV];

// ---------------------------------------------------------------------------------------
// Float64 reference forward (for finite differences): written from the op definitions.

interface Geom {
  inC: number; inH: number; inW: number; outC: number; outH: number; outW: number;
  kh: number; kw: number; sh: number; sw: number; pt: number; pl: number; groups: number;
}
const toConvGeom = (g: Geom): ConvGeom => ({
  in_c: g.inC, in_h: g.inH, in_w: g.inW, out_c: g.outC, out_h: g.outH, out_w: g.outW, kh: g.kh, kw: g.kw,
  stride_h: g.sh, stride_w: g.sw, pad_t: g.pt, pad_l: g.pl, groups: g.groups,
});

function convFwd(g: Geom, x: readonly number[], w: readonly number[]): number[] {
  const ipg = g.inC / g.groups, opg = g.outC / g.groups;
  const y: number[] = [];
  for (let o = 0; o < g.outC; o++) {
    const grp = Math.floor(o / opg);
    for (let oy = 0; oy < g.outH; oy++) for (let ox = 0; ox < g.outW; ox++) {
      let s = 0;
      for (let j = 0; j < ipg; j++) for (let ky = 0; ky < g.kh; ky++) {
        const iy = oy * g.sh - g.pt + ky;
        if (iy < 0 || iy >= g.inH) continue;
        for (let kx = 0; kx < g.kw; kx++) {
          const ix = ox * g.sw - g.pl + kx;
          if (ix < 0 || ix >= g.inW) continue;
          s += x[((grp * ipg + j) * g.inH + iy) * g.inW + ix] * w[((o * ipg + j) * g.kh + ky) * g.kw + kx];
        }
      }
      y.push(s);
    }
  }
  return y;
}

function poolFwd(kind: 'avg' | 'max' | 'gap', p: PoolGeom, x: readonly number[]): number[] {
  const y: number[] = [];
  for (let c = 0; c < p.c; c++) {
    if (kind === 'gap') {
      let s = 0;
      for (let i = 0; i < p.in_h * p.in_w; i++) s += x[c * p.in_h * p.in_w + i];
      y.push(s / (p.in_h * p.in_w));
      continue;
    }
    for (let oy = 0; oy < p.out_h; oy++) for (let ox = 0; ox < p.out_w; ox++) {
      let s = 0, n = 0, m = -Infinity;
      for (let ky = 0; ky < p.kh; ky++) for (let kx = 0; kx < p.kw; kx++) {
        const iy = oy * p.stride_h - p.pad_t + ky, ix = ox * p.stride_w - p.pad_l + kx;
        if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) continue;
        const v = x[(c * p.in_h + iy) * p.in_w + ix];
        s += v;
        n++;
        m = Math.max(m, v);
      }
      if (kind === 'max') y.push(n ? m : 0);
      else y.push(n ? s / (p.count_include_pad ? p.kh * p.kw : n) : 0);
    }
  }
  return y;
}

function xentLoss(z: readonly number[], label: number): number {
  const m = Math.max(...z);
  let s = 0;
  for (const v of z) s += Math.exp(v - m);
  return Math.log(s) + m - z[label];
}

/** Central differences of f at v, one coordinate at a time (only where `which`). */
function finiteDiff(f: (v: number[]) => number, v: readonly number[], h: number, which?: (i: number) => boolean): number[] {
  const x = v.slice();
  return x.map((orig, i) => {
    if (which && !which(i)) return 0;
    x[i] = orig + h;
    const a = f(x);
    x[i] = orig - h;
    const b = f(x);
    x[i] = orig;
    return (a - b) / (2 * h);
  });
}
const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, v, i) => s + v * b[i], 0);

function randConvOperands(r: Rng, g: Geom): { xScale: number; xZp: number; xq: number[]; wq: number[]; ws: number[]; dy: number[] } {
  const ipg = g.inC / g.groups;
  return {
    xScale: f32(0.01 + 0.05 * r()), xZp: randInt(r, -128, 127),
    xq: range(g.inC * g.inH * g.inW).map(() => randInt(r, -128, 127)),
    wq: range(g.outC * ipg * g.kh * g.kw).map(() => randInt(r, -127, 127)),
    ws: range(g.outC).map(() => f32(0.002 + 0.03 * r())),
    dy: range(g.outC * g.outH * g.outW).map(() => f32(randn(r))),
  };
}

// ---------------------------------------------------------------------------------------
// Float ulp measure for the math functions

const fbuf = new Float32Array(1);
const ubuf = new Uint32Array(fbuf.buffer);
const bitsOf = (x: number): number => { fbuf[0] = x; return ubuf[0]; };
const floatOf = (b: number): number => { ubuf[0] = b >>> 0; return fbuf[0]; };

/** |got − exact| in units of the float spacing at exact (2^-149 below 2^-126). */
function ulpErr(got: number, exact: number): number {
  if (Number.isNaN(exact)) return Number.isNaN(got) ? 0 : Infinity;
  if (Number.isNaN(got)) return Infinity;
  const a = Math.abs(exact);
  if (a > 3.4028235677973366e38) return got === (exact > 0 ? Infinity : -Infinity) ? 0 : Infinity;
  if (!Number.isFinite(got)) return Infinity;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  const ulp = a < 2 ** -126 ? 2 ** -149 : 2 ** (e - 23);
  return Math.abs(got - exact) / ulp;
}

// ---------------------------------------------------------------------------------------

describe('training kernels (C runtime, firmware/train)', function () {
  before(function () {
    workDir = makeTempDir('tinytrain-train-');
    driverExe = compileC([DRIVER, ...linkSources()], path.join(workDir, 'train_driver'),
      { includeDirs: [INCLUDE], cflags: CFLAGS });
  });

  after(function () {
    if (workDir && !process.env.TT_KEEP_TMP) removeDir(workDir);
  });

  describe('PyTorch oracle (test/fixtures/grad)', function () {
    it('fixtures are present, small, and cover every kernel shape they claim', function () {
      let bytes = 0;
      for (const f of fs.readdirSync(FIXTURES)) bytes += fs.statSync(path.join(FIXTURES, f)).size;
      assert.ok(bytes < 2e6, `${bytes} bytes of fixtures`);
      const conv = fixtures<ConvFixture>('conv');
      for (const k of [1, 3, 5, 7]) for (const s of [1, 2]) {
        assert.ok(conv.some((c) => c.kh === k && c.stride_h === s), `k${k} s${s}`);
      }
      for (const kernel of ['conv', 'depthwise', 'pointwise']) assert.ok(conv.some((c) => c.kernel === kernel), kernel);
      assert.ok(conv.some((c) => c.kernel === 'conv' && c.groups > 1 && c.groups < c.in_c), 'grouped');
      assert.ok(conv.some((c) => c.pad_t !== c.pad_b), 'asymmetric padding');
      const all = [...conv, ...fixtures<FcFixture>('fc')];
      const inOf = (c: ConvFixture | FcFixture): number => ('in_c' in c ? c.in_c : c.in_features);
      for (const ratio of [1 / 8, 1 / 4, 1 / 2, 1]) {
        assert.ok(all.some((c) => c.sel.length === Math.max(1, Math.round(inOf(c) * ratio)) && inOf(c) >= 8), `ratio ${ratio}`);
      }
      assert.ok(all.some((c) => c.sel.some((s, i) => s !== i)), 'a selection that is not a prefix');
      const pool = fixtures<PoolFixture>('pool');
      for (const [kind, cip] of [['avg', 0], ['avg', 1], ['max', 0], ['gap', 0]] as const) {
        assert.ok(pool.some((p) => p.kind === kind && p.count_include_pad === cip && (kind === 'gap' || p.pad_t > 0)), `${kind} cip${cip}`);
      }
      assert.ok(fixtures<MultiFixture>('multi').length >= 2);
    });

    it('conv / depthwise / pointwise backward_input: dx matches (overwrite and accumulate; specialized = general bits)', function () {
      const r = mulberry32(SEED ^ 0xd1);
      const cmds: string[] = [];
      const plan: { f: ConvFixture; fn: number; acc: number; dx0: number[] }[] = [];
      for (const f of fixtures<ConvFixture>('conv')) {
        const w = dec(f.w), ws = dec(f.w_scale), dy = dec(f.dy), ref = dec(f.dx);
        const m = maxAbs(ref);
        const dx0 = ref.map(() => f32((2 * r() - 1) * m));
        for (const fn of convFns(f.kernel)) {
          for (const acc of [0, 1]) {
            // Overwrite mode gets NaN in dx: reading it would show.
            const init = acc ? dx0 : fill(ref.length, NaN);
            cmds.push(convbwCmd(fn, f, acc, w, ws, dy, init));
            plan.push({ f, fn, acc, dx0: init });
          }
        }
      }
      const out = runCmds(cmds);
      const problems: string[] = [];
      let worst = 0;
      out.forEach((line, i) => {
        const { f, fn, acc, dx0 } = plan[i];
        const ref = dec(f.dx);
        const e = relErr(line.map(num), ref, acc ? dx0 : undefined);
        worst = Math.max(worst, e);
        if (!(e <= 1e-4)) problems.push(`${f.name} fn${fn} acc${acc}: relative error ${e}`);
        if (fn !== FN_CONV) {
          const general = out[plan.findIndex((p) => p.f === f && p.fn === FN_CONV && p.acc === acc)];
          if (line.join(' ') !== general.join(' ')) problems.push(`${f.name} fn${fn} acc${acc}: differs from tt_conv_backward_input_f32`);
        }
      });
      assert.deepStrictEqual(problems, []);
      assert.ok(worst > 0, 'suspiciously exact');
    });

    it('fc backward_input: dx matches (overwrite and accumulate)', function () {
      const r = mulberry32(SEED ^ 0xd2);
      const cmds: string[] = [];
      const plan: { f: FcFixture; acc: number; dx0: number[] }[] = [];
      for (const f of fixtures<FcFixture>('fc')) {
        const ref = dec(f.dx);
        const m = maxAbs(ref);
        for (const acc of [0, 1]) {
          const dx0 = acc ? ref.map(() => f32((2 * r() - 1) * m)) : fill(ref.length, NaN);
          cmds.push(tok('fcbw', f.in_features, f.out_features, acc, dec(f.w), dec(f.w_scale), dec(f.dy), dx0));
          plan.push({ f, acc, dx0 });
        }
      }
      const problems: string[] = [];
      runCmds(cmds).forEach((line, i) => {
        const { f, acc, dx0 } = plan[i];
        const e = relErr(line.map(num), dec(f.dx), acc ? dx0 : undefined);
        if (!(e <= 1e-4)) problems.push(`${f.name} acc${acc}: relative error ${e}`);
      });
      assert.deepStrictEqual(problems, []);
    });

    it('avg (count_include_pad 0/1, empty windows) / global / max (ties: first cell) pool backward: dx matches', function () {
      const r = mulberry32(SEED ^ 0xd3);
      const cmds: string[] = [];
      const plan: { f: PoolFixture; acc: number; dx0: number[] }[] = [];
      for (const f of fixtures<PoolFixture>('pool')) {
        const ref = dec(f.dx);
        const m = maxAbs(ref);
        for (const acc of [0, 1]) {
          const dx0 = acc ? ref.map(() => f32((2 * r() - 1) * m)) : fill(ref.length, NaN);
          cmds.push(poolbwCmd(f.kind, f, acc, dec(f.x), dec(f.dy), dx0));
          plan.push({ f, acc, dx0 });
        }
      }
      const problems: string[] = [];
      runCmds(cmds).forEach((line, i) => {
        const { f, acc, dx0 } = plan[i];
        const e = relErr(line.map(num), dec(f.dx), acc ? dx0 : undefined);
        if (!(e <= 1e-4)) problems.push(`${f.name} acc${acc}: relative error ${e}`);
      });
      assert.deepStrictEqual(problems, []);
    });

    it('a tensor with several consumers: accumulate = 1 sums conv, pointwise, depthwise, pool and fc gradients', function () {
      for (const f of fixtures<MultiFixture>('multi')) {
        let dx: number[] = fill(dec(f.dx).length, NaN);
        f.consumers.forEach((c, i) => {
          const acc = i === 0 ? 0 : 1;
          let cmd: string;
          if (c.op === 'fc') {
            cmd = tok('fcbw', f.in_features ?? 0, c.out_features, acc, dec(c.w), dec(c.w_scale), dec(c.dy), dx);
          } else if (c.op === 'conv') {
            const g: ConvGeom = {
              in_c: f.c ?? 0, in_h: f.in_h ?? 0, in_w: f.in_w ?? 0, out_c: c.out_c ?? 0, out_h: c.out_h, out_w: c.out_w,
              kh: c.kh, kw: c.kw, stride_h: c.stride_h, stride_w: c.stride_w, pad_t: c.pad_t, pad_l: c.pad_l, groups: c.groups ?? 1,
            };
            const fn = c.kernel === 'depthwise' ? FN_DW : c.kernel === 'pointwise' ? FN_PW : FN_CONV;
            cmd = convbwCmd(fn, g, acc, dec(c.w as Arr), dec(c.w_scale as Arr), dec(c.dy), dx);
          } else {
            const p: PoolGeom = {
              c: f.c ?? 0, in_h: f.in_h ?? 0, in_w: f.in_w ?? 0, out_h: c.out_h, out_w: c.out_w, kh: c.kh, kw: c.kw,
              stride_h: c.stride_h, stride_w: c.stride_w, pad_t: c.pad_t, pad_l: c.pad_l, count_include_pad: c.count_include_pad ?? 0,
            };
            cmd = poolbwCmd(c.kind ?? 'avg', p, acc, dec(f.x), dec(c.dy), dx);
          }
          dx = runCmds([cmd])[0].map(num);
        });
        const e = relErr(dx, dec(f.dx));
        assert.ok(e <= 1e-4, `${f.name}: relative error ${e}`);
      }
    });

    /** G_W (through MASTER, see the header) and G_b for every conv/fc fixture. */
    function checkGradients(kind: 'conv' | 'fc'): void {
      const cmds: string[] = [];
      interface Plan { f: ConvFixture | FcFixture; fn: number; bias: boolean; lrProbe: number; map: number[] }
      const plan: Plan[] = [];
      for (const f of kind === 'conv' ? fixtures<ConvFixture>('conv') : fixtures<FcFixture>('fc')) {
        const w = dec(f.w), ws = dec(f.w_scale), dy = dec(f.dy), dw = dec(f.dw), db = dec(f.db);
        const isConv = 'in_c' in f;
        const mask = isConv ? convSelectedMask(f, f.sel) : fcSelectedMask(f.in_features, f.out_features, f.sel);
        const per = w.length / ws.length;
        let peak = 0;
        dw.forEach((g, i) => { if (mask[i]) peak = Math.max(peak, Math.abs(g / ws[Math.floor(i / per)])); });
        const lrProbe = f32(50 / peak); // |Δ| <= 50: inside the master clamp
        const xs = isConv ? gather(dec(f.x), f.in_h * f.in_w, f.sel) : gather(dec(f.x), 1, f.sel);
        const args: UpdateArgs = {
          xScale: f.x_scale, xZp: f.x_zp, rounding: ROUND_MASTER, seed: 1, steps: 1, lr: lrProbe,
          sel: f.sel, w, ws, master: null, xs, dy,
        };
        for (const fn of isConv ? convFns(f.kernel) : [FN_FC]) {
          const map = masterMap(fn, isConv ? f : fcGeom(f.in_features, f.out_features), f.sel);
          const a = { ...args, master: fill(map.length, 0) };
          cmds.push(isConv ? convupCmd(fn, f, a) : fcupCmd(f.in_features, f.out_features, a));
          plan.push({ f, fn, bias: false, lrProbe, map });
        }
        let peakB = 0;
        db.forEach((g, o) => { peakB = Math.max(peakB, Math.abs(g / (f.x_scale * ws[o]))); });
        const lrB = f32(1000 / peakB);
        const plane = isConv ? f.out_h * f.out_w : 1;
        cmds.push(biasupCmd(ws.length, plane, f.x_scale, ROUND_MASTER, 1, 1, lrB, dec(f.bias), ws, fill(ws.length, 0), dy));
        plan.push({ f, fn: -1, bias: true, lrProbe: lrB, map: [] });
      }
      const out = runCmds(cmds);
      const problems: string[] = [];
      // weights, master over the weights (NaN where no entry), rng state: comparable across layouts
      const spread = (i: number): string => {
        const { f, map } = plan[i];
        const n = dec(f.w).length;
        const res = parseUpdate(out[i], n, map.length);
        return JSON.stringify([res.q, fromSlice(map, res.master, n).map(String), res.state]);
      };
      out.forEach((line, i) => {
        const { f, fn, bias, lrProbe, map } = plan[i];
        const ws = dec(f.w_scale);
        if (bias) {
          const res = parseUpdate(line, ws.length, ws.length);
          const g = res.master.map((m, o) => (-m * f.x_scale * ws[o]) / lrProbe);
          const e = relErr(g, dec(f.db));
          if (!(e <= 1e-4)) problems.push(`${f.name} bias: G_b relative error ${e}`);
          return;
        }
        const w = dec(f.w), dw = dec(f.dw);
        const mask = 'in_c' in f ? convSelectedMask(f, f.sel) : fcSelectedMask(f.in_features, f.out_features, f.sel);
        const per = w.length / ws.length;
        const res = parseUpdate(line, w.length, map.length);
        map.forEach((j, k) => { if (j < 0 && res.master[k] !== 0) problems.push(`${f.name} fn${fn}: unused master entry ${k} written`); });
        const full = fromSlice(map, res.master, w.length);
        const got: number[] = [], ref: number[] = [];
        full.forEach((m, j) => {
          if (mask[j]) {
            got.push((-m * ws[Math.floor(j / per)]) / lrProbe); // NaN (an error) if no entry mirrors it
            ref.push(dw[j]);
          } else if (!Number.isNaN(m) || res.q[j] !== w[j]) {
            problems.push(`${f.name} fn${fn}: unselected weight ${j} changed or has a master entry`);
          }
        });
        const e = relErr(got, ref);
        if (!(e <= 1e-4)) problems.push(`${f.name} fn${fn}: G_W relative error ${e}`);
        if (fn > 0) {
          const general = plan.findIndex((p) => p.f === f && p.fn === FN_CONV);
          if (spread(i) !== spread(general)) problems.push(`${f.name} fn${fn}: differs from tt_conv_update_s8`);
          if (fn === FN_PW && line.join(' ') !== out[general].join(' ')) problems.push(`${f.name}: pointwise master layout differs from conv's`);
        }
      });
      assert.deepStrictEqual(problems, []);
    }

    it('conv / depthwise / pointwise update: G_W and G_b match (specialized = general bits; unselected untouched)', function () {
      checkGradients('conv');
    });

    it('fc update: G_W and G_b match; unselected features untouched', function () {
      checkGradients('fc');
    });

    it('one NEAREST QAS step gives PyTorch\'s int8 weights and int32 biases (ties near .5 excepted, and rare)', function () {
      const cmds: string[] = [];
      interface Plan { f: ConvFixture | FcFixture; fn: number; bias: boolean }
      const plan: Plan[] = [];
      const all: (ConvFixture | FcFixture)[] = [...fixtures<ConvFixture>('conv'), ...fixtures<FcFixture>('fc')];
      for (const f of all) {
        const w = dec(f.w), ws = dec(f.w_scale), dy = dec(f.dy);
        const isConv = 'in_c' in f;
        const xs = isConv ? gather(dec(f.x), f.in_h * f.in_w, f.sel) : gather(dec(f.x), 1, f.sel);
        const args: UpdateArgs = {
          xScale: f.x_scale, xZp: f.x_zp, rounding: ROUND_NEAREST, seed: 1, steps: 1, lr: f.lr,
          sel: f.sel, w, ws, master: null, xs, dy,
        };
        for (const fn of isConv ? convFns(f.kernel) : [-1]) {
          cmds.push(isConv ? convupCmd(fn, f, args) : fcupCmd(f.in_features, f.out_features, args));
          plan.push({ f, fn, bias: false });
        }
        cmds.push(biasupCmd(ws.length, isConv ? f.out_h * f.out_w : 1, f.x_scale, ROUND_NEAREST, 1, 1, f.lr_bias,
          dec(f.bias), ws, null, dy));
        plan.push({ f, fn: -1, bias: true });
      }
      const problems: string[] = [];
      let checked = 0, ties = 0, moved = 0, clamped = 0, saturated = 0;
      runCmds(cmds).forEach((line, i) => {
        const { f, fn, bias } = plan[i];
        const ws = dec(f.w_scale);
        if (bias) {
          const res = parseUpdate(line, ws.length, 0);
          const exp = dec(f.b_nearest), b = dec(f.bias), db = dec(f.db);
          res.q.forEach((q, o) => {
            if (f.b_ties.includes(o)) return;
            // fp32 Δ carries ~3e-7 relative error: exact below |Δ| = 1000, a few units above.
            const delta = (-f.lr_bias * db[o]) / (f.x_scale * ws[o]);
            const tol = Math.abs(delta) < 1000 ? 0 : Math.ceil(Math.abs(delta) * 2e-6);
            if (Math.abs(exp[o]) === 2 ** 31 || exp[o] === 2 ** 31 - 1) saturated++;
            if (!(Math.abs(q - exp[o]) <= tol)) problems.push(`${f.name} bias[${o}]: ${q} expected ${exp[o]} (Δ ${delta})`);
          });
          return;
        }
        const w = dec(f.w), exp = dec(f.w_nearest);
        const mask = 'in_c' in f ? convSelectedMask(f, f.sel) : fcSelectedMask(f.in_features, f.out_features, f.sel);
        const tieSet = new Set(f.w_ties);
        const res = parseUpdate(line, w.length, 0);
        res.q.forEach((q, j) => {
          if (!mask[j]) {
            if (q !== w[j]) problems.push(`${f.name} fn${fn}: unselected weight ${j} changed`);
            return;
          }
          if (tieSet.has(j)) { ties++; return; }
          checked++;
          if (exp[j] !== w[j]) moved++;
          if (Math.abs(exp[j]) === 127 && exp[j] !== w[j]) clamped++;
          if (q !== exp[j]) problems.push(`${f.name} fn${fn} w[${j}]: ${q} expected ${exp[j]} (was ${w[j]})`);
        });
      });
      assert.deepStrictEqual(problems.slice(0, 10), [], `${problems.length} mismatches`);
      assert.ok(checked > 3000, `${checked} weights checked`);
      assert.ok(ties <= 0.01 * checked, `${ties} ties out of ${checked}`);
      assert.ok(moved > 0.3 * checked && clamped > 20 && saturated > 0, `moved ${moved}, clamped ${clamped}, saturated ${saturated}`);
    });

    it('ReLU / ReLU6 / clip masks: mask_from + mask_apply and clamp_backward give autograd\'s dx exactly', function () {
      const cmds: string[] = [];
      const fx = fixtures<ActFixture>('act');
      for (const f of fx) {
        const y = dec(f.y), dy = dec(f.dy);
        const bits = range((f.n + 7) >> 3).map((b) => {
          let v = 0;
          for (let k = 0; k < 8 && 8 * b + k < f.n; k++) if (y[8 * b + k] > f.lo && y[8 * b + k] < f.hi) v |= 1 << k;
          return v;
        });
        cmds.push(tok('mask', f.n, f.lo, f.hi, y));
        cmds.push(tok('maskapply', f.n, bits, dy));
        cmds.push(tok('clampbw', f.n, f.lo, f.hi, y, dy));
      }
      const out = runCmds(cmds);
      fx.forEach((f, i) => {
        const y = dec(f.y), ref = dec(f.dx);
        const bits = out[3 * i].map(Number);
        const fromBits = range(f.n).map((k) => (bits[k >> 3] >> (k & 7)) & 1);
        assert.deepStrictEqual(fromBits, y.map((v) => (v > f.lo && v < f.hi ? 1 : 0)), `${f.name}: mask bits`);
        assert.deepStrictEqual(out[3 * i + 1].map(num), ref, `${f.name}: mask_apply`);
        assert.deepStrictEqual(out[3 * i + 2].map(num), ref, `${f.name}: clamp_backward`);
        assert.ok(ref.some((v) => v === 0) && ref.some((v) => v !== 0), `${f.name}: informative`);
      });
    });

    it('softmax cross-entropy: loss to 1e-5 and dlogits to 1e-5', function () {
      const fx = fixtures<XentFixture>('xent');
      const out = runCmds(fx.map((f) => tok('xent', f.n, f.scale, f.zp, f.label, dec(f.logits))));
      fx.forEach((f, i) => {
        const v = out[i].map(num);
        assert.ok(Math.abs(v[0] - f.loss) <= 1e-5 * Math.max(1, Math.abs(f.loss)), `${f.name}: loss ${v[0]} vs ${f.loss}`);
        const ref = dec(f.dlogits);
        let worst = 0;
        ref.forEach((d, k) => { worst = Math.max(worst, Math.abs(v[1 + k] - d)); });
        assert.ok(worst <= 1e-5, `${f.name}: dlogits error ${worst}`);
      });
    });
  });

  describe('finite differences (float64 reference forward, no PyTorch)', function () {
    const convGeoms: [string, Geom, number[]][] = [
      ['conv k3 s2 p1 4->3', { inC: 4, inH: 7, inW: 6, outC: 3, outH: 4, outW: 3, kh: 3, kw: 3, sh: 2, sw: 2, pt: 1, pl: 1, groups: 1 }, [0, 2, 3]],
      ['grouped k3 g2 6->4', { inC: 6, inH: 5, inW: 5, outC: 4, outH: 5, outW: 5, kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1, groups: 2 }, [1, 4, 5]],
      ['depthwise k5 s2', { inC: 3, inH: 7, inW: 7, outC: 3, outH: 4, outW: 4, kh: 5, kw: 5, sh: 2, sw: 2, pt: 2, pl: 2, groups: 3 }, [0, 2]],
      ['pointwise 5->4', { inC: 5, inH: 3, inW: 4, outC: 4, outH: 3, outW: 4, kh: 1, kw: 1, sh: 1, sw: 1, pt: 0, pl: 0, groups: 1 }, [1, 2, 4]],
      ['conv k7 s1 p3 pads only', { inC: 2, inH: 3, inW: 3, outC: 2, outH: 3, outW: 3, kh: 7, kw: 7, sh: 1, sw: 1, pt: 3, pl: 3, groups: 1 }, [1]],
    ];

    it('conv / grouped / depthwise / pointwise: dx and G_W agree with central differences', function () {
      const r = mulberry32(SEED ^ 0xfd);
      const problems: string[] = [];
      for (const [label, g, sel] of convGeoms) {
        const op = randConvOperands(r, g);
        const cg = toConvGeom(g);
        const xr = op.xq.map((q) => op.xScale * (q - op.xZp));
        const wr = op.wq.map((q, i) => op.ws[Math.floor(i / (op.wq.length / g.outC))] * q);
        const fdx = finiteDiff((x) => dot(op.dy, convFwd(g, x, wr)), xr, 1e-3);
        const mask = convSelectedMask(cg, sel);
        const fdw = finiteDiff((w) => dot(op.dy, convFwd(g, xr, w)), wr, 1e-3, (i) => mask[i]);
        const fns = g.groups === g.inC && g.inC === g.outC ? [FN_CONV, FN_DW] : g.kh === 1 && g.groups === 1 ? [FN_CONV, FN_PW] : [FN_CONV];
        const per = op.wq.length / g.outC;
        let peak = 0;
        fdw.forEach((v, i) => { peak = Math.max(peak, Math.abs(v / op.ws[Math.floor(i / per)])); });
        const lr = f32(50 / peak);
        const cmds: string[] = [];
        for (const fn of fns) {
          cmds.push(convbwCmd(fn, cg, 0, op.wq, op.ws, op.dy, fill(xr.length, 0)));
          cmds.push(convupCmd(fn, cg, {
            xScale: op.xScale, xZp: op.xZp, rounding: ROUND_MASTER, seed: 1, steps: 1, lr, sel, w: op.wq, ws: op.ws,
            master: fill(masterMap(fn, cg, sel).length, 0), xs: gather(op.xq, g.inH * g.inW, sel), dy: op.dy,
          }));
        }
        const out = runCmds(cmds);
        fns.forEach((fn, k) => {
          const e1 = relErr(out[2 * k].map(num), fdx);
          const map = masterMap(fn, cg, sel);
          const res = parseUpdate(out[2 * k + 1], op.wq.length, map.length);
          const gw = fromSlice(map, res.master, op.wq.length, 0).map((m, i) => (-m * op.ws[Math.floor(i / per)]) / lr);
          const e2 = relErr(gw, fdw);
          if (!(e1 <= 1e-3 && e2 <= 1e-3)) problems.push(`${label} fn${fn}: dx ${e1}, G_W ${e2}`);
        });
      }
      assert.deepStrictEqual(problems, []);
    });

    it('fc: dx and G_W agree with central differences', function () {
      const r = mulberry32(SEED ^ 0xfe);
      const inF = 12, outF = 5, sel = [0, 3, 4, 9, 11];
      const xScale = f32(0.04), xZp = -20;
      const xq = range(inF).map(() => randInt(r, -128, 127));
      const wq = range(inF * outF).map(() => randInt(r, -127, 127));
      const ws = range(outF).map(() => f32(0.005 + 0.02 * r()));
      const dy = range(outF).map(() => f32(randn(r)));
      const xr = xq.map((q) => xScale * (q - xZp));
      const wr = wq.map((q, i) => ws[Math.floor(i / inF)] * q);
      const fwd = (x: readonly number[], w: readonly number[]): number[] =>
        range(outF).map((n) => dot(w.slice(n * inF, (n + 1) * inF), x));
      const fdx = finiteDiff((x) => dot(dy, fwd(x, wr)), xr, 1e-3);
      const mask = fcSelectedMask(inF, outF, sel);
      const fdw = finiteDiff((w) => dot(dy, fwd(xr, w)), wr, 1e-3, (i) => mask[i]);
      const lr = f32(1e-3);
      const out = runCmds([
        tok('fcbw', inF, outF, 0, wq, ws, dy, fill(inF, 0)),
        fcupCmd(inF, outF, { xScale, xZp, rounding: ROUND_MASTER, seed: 1, steps: 1, lr, sel, w: wq, ws, master: fill(outF * sel.length, 0), xs: gather(xq, 1, sel), dy }),
      ]);
      assert.ok(relErr(out[0].map(num), fdx) <= 1e-3);
      const map = masterMap(FN_FC, fcGeom(inF, outF), sel);
      const res = parseUpdate(out[1], wq.length, map.length);
      assert.ok(relErr(fromSlice(map, res.master, wq.length, 0).map((m, i) => (-m * ws[Math.floor(i / inF)]) / lr), fdw) <= 1e-3);
    });

    it('bias: G_b agrees with central differences', function () {
      const r = mulberry32(SEED ^ 0xb1);
      const g: Geom = { inC: 2, inH: 5, inW: 5, outC: 3, outH: 3, outW: 3, kh: 3, kw: 3, sh: 2, sw: 2, pt: 1, pl: 1, groups: 1 };
      const op = randConvOperands(r, g);
      const plane = g.outH * g.outW;
      // y = conv + b[o] (real): dL/db[o] by differences of Σ dy·y
      const b0 = range(g.outC).map(() => randn(r));
      const xr = op.xq.map((q) => op.xScale * (q - op.xZp));
      const wr = op.wq.map((q, i) => op.ws[Math.floor(i / (op.wq.length / g.outC))] * q);
      const y0 = convFwd(g, xr, wr);
      const fdb = finiteDiff((b) => dot(op.dy, y0.map((v, i) => v + b[Math.floor(i / plane)])), b0, 1e-3);
      const lr = f32(1e-6);
      const res = parseUpdate(runCmds([biasupCmd(g.outC, plane, op.xScale, ROUND_MASTER, 1, 1, lr, fill(g.outC, 0), op.ws, fill(g.outC, 0), op.dy)])[0], g.outC, g.outC);
      assert.ok(relErr(res.master.map((m, o) => (-m * op.xScale * op.ws[o]) / lr), fdb) <= 1e-3);
    });

    it('avg (count_include_pad 0/1) / max (distinct values) / global pool backward agree with central differences', function () {
      const r = mulberry32(SEED ^ 0x9f);
      const cases: ['avg' | 'max' | 'gap', PoolGeom][] = [
        ['avg', { c: 2, in_h: 7, in_w: 6, out_h: 4, out_w: 3, kh: 3, kw: 3, stride_h: 2, stride_w: 2, pad_t: 1, pad_l: 1, count_include_pad: 0 }],
        ['avg', { c: 2, in_h: 7, in_w: 6, out_h: 4, out_w: 3, kh: 3, kw: 3, stride_h: 2, stride_w: 2, pad_t: 1, pad_l: 1, count_include_pad: 1 }],
        ['avg', { c: 1, in_h: 5, in_w: 5, out_h: 5, out_w: 5, kh: 5, kw: 5, stride_h: 1, stride_w: 1, pad_t: 2, pad_l: 2, count_include_pad: 0 }],
        ['max', { c: 2, in_h: 7, in_w: 7, out_h: 4, out_w: 4, kh: 3, kw: 3, stride_h: 2, stride_w: 2, pad_t: 1, pad_l: 1, count_include_pad: 0 }],
        ['max', { c: 1, in_h: 6, in_w: 6, out_h: 6, out_w: 6, kh: 3, kw: 3, stride_h: 1, stride_w: 1, pad_t: 1, pad_l: 1, count_include_pad: 0 }],
        ['gap', { c: 3, in_h: 4, in_w: 5, out_h: 1, out_w: 1, kh: 4, kw: 5, stride_h: 1, stride_w: 1, pad_t: 0, pad_l: 0, count_include_pad: 0 }],
      ];
      for (const [kind, p] of cases) {
        const plane = p.in_h * p.in_w;
        // distinct int8 values within each channel: no tie, so max is differentiable
        const xq: number[] = [];
        for (let c = 0; c < p.c; c++) {
          const vals = range(256).map((v) => v - 128);
          for (let i = 0; i < plane; i++) xq.push(vals.splice(randInt(r, 0, vals.length - 1), 1)[0]);
        }
        const s = 0.03, zp = 5;
        const xr = xq.map((q) => s * (q - zp));
        const dy = range(p.c * p.out_h * p.out_w).map(() => f32(randn(r)));
        const fd = finiteDiff((x) => dot(dy, poolFwd(kind, p, x)), xr, 1e-4);
        const got = runCmds([poolbwCmd(kind, p, 0, xq, dy, fill(xr.length, NaN))])[0].map(num);
        const e = relErr(got, fd);
        assert.ok(e <= 1e-3, `${kind} cip${p.count_include_pad}: ${e}`);
      }
    });

    it('softmax cross-entropy: dlogits agree with central differences of the loss', function () {
      const r = mulberry32(SEED ^ 0x5e);
      for (const [n, scale, zp] of [[10, 0.1, 3], [5, 0.5, -20], [30, 0.02, 0]]) {
        const q = range(n).map(() => randInt(r, -128, 127));
        const label = randInt(r, 0, n - 1);
        const z = q.map((v) => f32(scale) * (v - zp));
        const fd = finiteDiff((v) => xentLoss(v, label), z, 1e-4);
        const out = runCmds([tok('xent', n, f32(scale), zp, label, q)])[0].map(num);
        assert.ok(Math.abs(out[0] - xentLoss(z, label)) <= 1e-5 * Math.max(1, xentLoss(z, label)));
        let worst = 0;
        fd.forEach((d, k) => { worst = Math.max(worst, Math.abs(out[1 + k] - d)); });
        assert.ok(worst <= 1e-3, `n${n}: ${worst}`);
      }
    });
  });

  describe('rounding: stochastic, master, clamps', function () {
    it('tt_rng is xorshift32 (13, 17, 5) and uniform = (next >> 8)·2^-24', function () {
      const out = runCmds([tok('rng', 1, 1000), tok('unif', 2463534242, 1000)]);
      let s = 1;
      assert.deepStrictEqual(out[0].map(Number), range(1000).map(() => (s = xorshift(s))));
      s = 2463534242;
      assert.deepStrictEqual(out[1].map(num), range(1000).map(() => uniformOf((s = xorshift(s)))));
      assert.strictEqual(out[0][0], '270369'); // Marsaglia's xorshift32 from state 1
    });

    it('STOCHASTIC is unbiased: the mean update over many draws equals Δ (weights and biases)', function () {
      // fc with N identical rows: s_x = s_w = 1, z = 0, dy = −1, so Δ[n,k] = lr·x[k].
      const N = 4000, xs = [30, -30, 127, -125, 5, 99, -1, 50], inF = xs.length;
      const lr = f32(0.01);
      const deltas = xs.map((x) => f32(lr * x));
      const w = fill(N * inF, 0);
      const cmd = (seed: number): string => fcupCmd(inF, N, {
        xScale: 1, xZp: 0, rounding: ROUND_STOCHASTIC, seed, steps: 1, lr, sel: null, nSel: inF,
        w, ws: fill(N, 1), master: null, xs, dy: fill(N, -1),
      });
      const biasCmd = biasupCmd(N, 1, 1, ROUND_STOCHASTIC, 99, 1, f32(0.37), fill(N, 5), fill(N, 1), null, fill(N, -1));
      const out = runCmds([cmd(12345), cmd(12345), cmd(777), biasCmd]);
      const a = parseUpdate(out[0], N * inF, 0);
      assert.deepStrictEqual(out[1], out[0], 'same seed, same result');
      assert.notDeepStrictEqual(out[2], out[0], 'another seed, another result');
      let st = 12345;
      for (let i = 0; i < N * inF; i++) st = xorshift(st);
      assert.strictEqual(a.state, st, 'one draw per updated weight');
      deltas.forEach((d, k) => {
        let sum = 0;
        const seen = new Set<number>();
        for (let n = 0; n < N; n++) { sum += a.q[n * inF + k]; seen.add(a.q[n * inF + k]); }
        const frac = d - Math.floor(d);
        const sigma = Math.sqrt(frac * (1 - frac) / N) + 1e-9;
        assert.ok(Math.abs(sum / N - d) < 5 * sigma, `Δ ${d}: mean ${sum / N} (σ ${sigma})`);
        assert.ok([...seen].every((v) => v === Math.floor(d) || v === Math.floor(d) + 1), `Δ ${d}: values ${[...seen]}`);
      });
      const b = parseUpdate(out[3], N, 0);
      const bmean = b.q.reduce((s, v) => s + v, 0) / N;
      assert.ok(Math.abs(bmean - (5 + f32(0.37))) < 5 * Math.sqrt(0.37 * 0.63 / N), `bias mean ${bmean}`);
    });

    it('STOCHASTIC draws in the documented order (o, selected channel, ky, kx), one per updated weight, in every conv kernel', function () {
      const r = mulberry32(SEED ^ 0x0d);
      const shapes: [Geom, number[], number[]][] = [
        [{ inC: 6, inH: 5, inW: 5, outC: 4, outH: 3, outW: 3, kh: 3, kw: 3, sh: 2, sw: 2, pt: 1, pl: 1, groups: 2 }, [0, 2, 5], [FN_CONV]],
        [{ inC: 5, inH: 6, inW: 6, outC: 5, outH: 6, outW: 6, kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1, groups: 5 }, [1, 3, 4], [FN_CONV, FN_DW]],
        [{ inC: 9, inH: 3, inW: 3, outC: 7, outH: 3, outW: 3, kh: 1, kw: 1, sh: 1, sw: 1, pt: 0, pl: 0, groups: 1 }, [0, 4, 5, 8], [FN_CONV, FN_PW]],
      ];
      const problems: string[] = [];
      for (const [g, sel, fns] of shapes) {
        const op = randConvOperands(r, g);
        const cg = toConvGeom(g);
        const xr = op.xq.map((q) => op.xScale * (q - op.xZp));
        const ipg = g.inC / g.groups, opg = g.outC / g.groups, k2 = g.kh * g.kw;
        // G from the definition (the conv is linear in w: one pass per weight)
        const gw = op.wq.map((_, i) => {
          const e = fill(op.wq.length, 0);
          e[i] = 1;
          return dot(op.dy, convFwd(g, xr, e));
        });
        let peak = 0;
        gw.forEach((v, i) => { peak = Math.max(peak, Math.abs(v / op.ws[Math.floor(i / (ipg * k2))])); });
        const lr = f32(6 / peak);
        const seed = 424242;
        const out = runCmds(fns.map((fn) => convupCmd(fn, cg, {
          xScale: op.xScale, xZp: op.xZp, rounding: ROUND_STOCHASTIC, seed, steps: 1, lr, sel, w: op.wq, ws: op.ws,
          master: null, xs: gather(op.xq, g.inH * g.inW, sel), dy: op.dy,
        })));
        out.forEach((line, f) => {
          const res = parseUpdate(line, op.wq.length, 0);
          let st = seed, draws = 0, compared = 0, ambiguous = 0;
          for (let o = 0; o < g.outC; o++) for (const i of sel) {
            const grp = Math.floor(o / opg);
            if (i < grp * ipg || i >= (grp + 1) * ipg) continue;
            for (let t = 0; t < k2; t++) {
              const idx = (o * ipg + (i - grp * ipg)) * k2 + t;
              st = xorshift(st);
              draws++;
              const u = uniformOf(st);
              const d = (-lr * gw[idx]) / op.ws[o];
              const tr = Math.trunc(d), s = d - tr + u;
              if (Math.abs(s - Math.round(s)) < 1e-4) { ambiguous++; continue; }
              compared++;
              const want = Math.max(-127, Math.min(127, op.wq[idx] + tr + Math.floor(s)));
              if (res.q[idx] !== want) problems.push(`fn${fns[f]} w[${idx}] ${res.q[idx]} expected ${want}`);
            }
          }
          if (res.state !== st) problems.push(`fn${fns[f]}: rng state ${res.state} after ${draws} draws`);
          if (!(compared > 20 && ambiguous < 3)) problems.push(`fn${fns[f]}: ${compared} compared, ${ambiguous} ambiguous`);
        });
      }
      assert.deepStrictEqual(problems, []);
    });

    it('sel = NULL means channels 0..n_sel−1 in every update kernel', function () {
      const r = mulberry32(SEED ^ 0x5e1);
      const shapes: [Geom, number[]][] = [
        [{ inC: 4, inH: 4, inW: 4, outC: 4, outH: 2, outW: 2, kh: 3, kw: 3, sh: 2, sw: 2, pt: 1, pl: 1, groups: 2 }, [FN_CONV]],
        [{ inC: 4, inH: 4, inW: 4, outC: 4, outH: 4, outW: 4, kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1, groups: 4 }, [FN_DW]],
        [{ inC: 4, inH: 2, inW: 2, outC: 3, outH: 2, outW: 2, kh: 1, kw: 1, sh: 1, sw: 1, pt: 0, pl: 0, groups: 1 }, [FN_PW]],
      ];
      for (const [g, fns] of shapes) {
        const op = randConvOperands(r, g);
        const nSel = 3;
        const base: UpdateArgs = {
          xScale: op.xScale, xZp: op.xZp, rounding: ROUND_STOCHASTIC, seed: 77, steps: 1, lr: f32(0.5), sel: range(nSel),
          w: op.wq, ws: op.ws, master: null, xs: gather(op.xq, g.inH * g.inW, range(nSel)), dy: op.dy,
        };
        for (const fn of fns) {
          const out = runCmds([convupCmd(fn, toConvGeom(g), base), convupCmd(fn, toConvGeom(g), { ...base, sel: null, nSel })]);
          assert.deepStrictEqual(out[1], out[0], `fn${fn}`);
          assert.notDeepStrictEqual(out[0].slice(0, -1), op.wq.map(String), `fn${fn}: something moved`);
        }
      }
    });

    it('MASTER keeps fractional updates NEAREST loses: 10 steps of Δ = ±0.3 move q by ±3 (NEAREST: 0)', function () {
      const xs = [30, -30], lr = f32(0.01);
      const base = { xScale: 1, xZp: 0, seed: 5, steps: 10, lr, sel: [0, 1], w: [7, -7], ws: [1], xs, dy: [-1] };
      const out = runCmds([
        fcupCmd(2, 1, { ...base, rounding: ROUND_MASTER, master: [7, -7] }),
        fcupCmd(2, 1, { ...base, rounding: ROUND_NEAREST, master: null }),
        fcupCmd(2, 1, { ...base, rounding: ROUND_STOCHASTIC, master: null }),
        biasupCmd(1, 1, 1, ROUND_MASTER, 5, 10, f32(0.3), [100], [1], [100], [-1]),
        biasupCmd(1, 1, 1, ROUND_NEAREST, 5, 10, f32(0.3), [100], [1], null, [-1]),
      ]);
      const m = parseUpdate(out[0], 2, 2);
      assert.deepStrictEqual(m.q, [10, -10]);
      assert.ok(Math.abs(m.master[0] - 10) < 1e-5 && Math.abs(m.master[1] + 10) < 1e-5, `master ${m.master}`);
      assert.deepStrictEqual(parseUpdate(out[1], 2, 0).q, [7, -7]);
      const s = parseUpdate(out[2], 2, 0).q;
      assert.ok(s[0] >= 7 && s[0] <= 17 && s[1] <= -7 && s[1] >= -17, `stochastic ${s}`);
      assert.deepStrictEqual(parseUpdate(out[3], 1, 1).q, [103]);
      assert.deepStrictEqual(parseUpdate(out[4], 1, 0).q, [100]);
    });

    // Shapes for the master-layout tests: [label, fn, geometry, sel, expected slice size].
    const sliceCases: [string, number, ConvGeom, number[], number][] = [
      ['grouped conv', FN_CONV, toConvGeom({ inC: 6, inH: 5, inW: 5, outC: 4, outH: 3, outW: 3, kh: 3, kw: 3, sh: 2, sw: 2, pt: 1, pl: 1, groups: 2 }), [0, 2, 5], 4 * 3 * 9],
      ['depthwise as conv', FN_CONV, toConvGeom({ inC: 5, inH: 6, inW: 6, outC: 5, outH: 6, outW: 6, kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1, groups: 5 }), [1, 3, 4], 5 * 3 * 9],
      ['depthwise', FN_DW, toConvGeom({ inC: 5, inH: 6, inW: 6, outC: 5, outH: 6, outW: 6, kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1, groups: 5 }), [1, 3, 4], 3 * 9],
      ['pointwise', FN_PW, toConvGeom({ inC: 9, inH: 3, inW: 3, outC: 7, outH: 3, outW: 3, kh: 1, kw: 1, sh: 1, sw: 1, pt: 0, pl: 0, groups: 1 }), [0, 4, 5, 8], 7 * 4],
      ['fc', FN_FC, fcGeom(12, 5), [0, 3, 4, 9, 11], 5 * 5],
    ];
    /** An update command for a slice case (fc included), random operands from r. */
    function sliceCmd(fn: number, g: ConvGeom, sel: readonly number[], r: Rng, over: Partial<UpdateArgs>): { cmd: string; a: UpdateArgs } {
      const op = randConvOperands(r, {
        inC: g.in_c, inH: g.in_h, inW: g.in_w, outC: g.out_c, outH: g.out_h, outW: g.out_w, kh: g.kh, kw: g.kw,
        sh: g.stride_h, sw: g.stride_w, pt: g.pad_t, pl: g.pad_l, groups: g.groups,
      });
      const a: UpdateArgs = {
        xScale: op.xScale, xZp: op.xZp, rounding: ROUND_MASTER, seed: 11, steps: 3, lr: f32(0.3), sel, w: op.wq, ws: op.ws,
        master: null, xs: gather(op.xq, g.in_h * g.in_w, sel), dy: op.dy, ...over,
      };
      return { cmd: fn === FN_FC ? fcupCmd(g.in_c, g.out_c, a) : convupCmd(fn, g, a), a };
    }

    it('the master holds the updated slice only, in each kernel\'s layout; entries after it (and unused ones) are never touched', function () {
      const GUARDS = [1234.5, -7.25, NaN, 3e38, 0, -0.5];
      const problems: string[] = [];
      for (const [label, fn, g, sel, size] of sliceCases) {
        const map = masterMap(fn, g, sel);
        assert.strictEqual(map.length, size, `${label}: slice size`);
        const mask = fn === FN_FC ? fcSelectedMask(g.in_c, g.out_c, sel) : convSelectedMask(g, sel);
        // every selected weight has exactly one entry, no other weight has one
        const mirrored = map.filter((j) => j >= 0).sort((x, y) => x - y);
        assert.deepStrictEqual(mirrored, mask.map((m, j) => (m ? j : -1)).filter((j) => j >= 0), `${label}: entries`);
        const seed = SEED ^ (0x51 + fn);
        // exact size (the driver's guard bytes catch writes just outside) vs the slice + guard values
        const exact = sliceCmd(fn, g, sel, mulberry32(seed), { master: fill(size, NaN) });
        const padded = sliceCmd(fn, g, sel, mulberry32(seed), { master: [...fill(size, NaN), ...GUARDS] });
        const out = runCmds([exact.cmd, padded.cmd]);
        const n = exact.a.w.length;
        const a = parseUpdate(out[0], n, size), b = parseUpdate(out[1], n, size + GUARDS.length);
        const tail = b.master.slice(size);
        if (!tail.every((v, i) => Object.is(v, f32(GUARDS[i])) || (Number.isNaN(v) && Number.isNaN(GUARDS[i]))))
          problems.push(`${label}: values after the slice changed: ${tail}`);
        if (JSON.stringify([a.q, a.master.map(String), a.state]) !== JSON.stringify([b.q, b.master.slice(0, size).map(String), b.state]))
          problems.push(`${label}: the guard values changed the result`);
        map.forEach((j, k) => {
          if (j < 0 && !Number.isNaN(a.master[k])) problems.push(`${label}: unused entry ${k} written`);
          if (j >= 0 && !(a.master[k] >= -127 && a.master[k] <= 127)) problems.push(`${label}: entry ${k} = ${a.master[k]} not set`);
        });
        a.q.forEach((q, j) => { if (!mask[j] && q !== exact.a.w[j]) problems.push(`${label}: unselected weight ${j} changed`); });
        if (!a.q.some((q, j) => q !== exact.a.w[j])) problems.push(`${label}: nothing moved`);
      }
      assert.deepStrictEqual(problems, []);
    });

    it('lazy init: an unset (NaN) master entry starts from q — the same bits as master = q, weights and biases', function () {
      const problems: string[] = [];
      const cmds: string[] = [];
      const labels: string[] = [];
      for (const [label, fn, g, sel] of sliceCases) {
        const map = masterMap(fn, g, sel);
        for (const lr of [f32(0.02), f32(0.3), f32(40)]) { // fractions only, some integer steps, clamping
          for (const steps of [1, 5]) {
            const seed = SEED ^ Math.round(lr * 1000) ^ (fn << 8) ^ steps;
            const lazy = sliceCmd(fn, g, sel, mulberry32(seed), { lr, steps, master: fill(map.length, NaN) });
            const w = lazy.a.w.map((v, i) => (i % 5 === 0 ? -128 : v)); // −128 too: m starts at −128, then clamps
            const again = sliceCmd(fn, g, sel, mulberry32(seed), { lr, steps, w, master: fill(map.length, NaN) });
            const set = sliceCmd(fn, g, sel, mulberry32(seed), { lr, steps, w, master: toSlice(map, w, NaN) });
            cmds.push(again.cmd, set.cmd);
            labels.push(`${label} lr ${lr} steps ${steps}`);
          }
        }
      }
      // biases: large values too ((float)q rounds above 2^24), NaN gradients leave the entry unset
      const bias = [0, 5, -77, 16777217, -33554435, 2 ** 31 - 1, -(2 ** 31), 1000];
      const dy = [0.3, -1.7, 0.01, 2.5, -3, 1e-3, -1e-3, 0.7];
      for (const lr of [f32(0.05), f32(3)]) {
        cmds.push(biasupCmd(8, 1, f32(0.5), ROUND_MASTER, 1, 4, lr, bias, fill(8, f32(0.25)), fill(8, NaN), dy));
        cmds.push(biasupCmd(8, 1, f32(0.5), ROUND_MASTER, 1, 4, lr, bias, fill(8, f32(0.25)), bias.map(f32), dy));
        labels.push(`bias lr ${lr}`);
      }
      cmds.push(tok('unset'));
      const out = runCmds(cmds);
      const unset = out.pop() ?? [];
      assert.ok(Number.isNaN(num(unset[0])) && unset[1] === '1', `TT_MASTER_UNSET is ${unset}`);
      labels.forEach((l, i) => {
        if (out[2 * i].join(' ') !== out[2 * i + 1].join(' ')) problems.push(`${l}: lazy ${out[2 * i].join(' ').slice(0, 200)} vs set ${out[2 * i + 1].join(' ').slice(0, 200)}`);
      });
      const nanDy = runCmds([
        biasupCmd(3, 2, 1, ROUND_MASTER, 1, 3, f32(0.1), [4, -9, 70], [1, 1, 1], [NaN, NaN, NaN], [NaN, 1, 1, -1, 0.125, 0.125]),
      ]);
      const nb = parseUpdate(nanDy[0], 3, 3);
      assert.deepStrictEqual(nb.q, [4, -9, 70]);
      assert.ok(Number.isNaN(nb.master[0]), `NaN Δ set the bias master: ${nb.master[0]}`);
      const d = -(f32(0.1) * 0.25); // exact in fp32
      assert.deepStrictEqual(nb.master.slice(1), [-9, f32(f32(f32(70 + d) + d) + d)], 'set from q by a zero or finite Δ');
      assert.deepStrictEqual(problems, []);
    });

    it('MASTER from an unset master accumulates many small steps (|Δ| < 1/2, lost by NEAREST) in every update kernel, exactly', function () {
      // 1x1 maps and fc, so Δ = −(fl(fl(lr·s_x)/s_w[o])·fl(dy·(x − z))) is known exactly here, and
      // the expected master is the fp32 sum m = fl(m + Δ) from m = q, clamped; q = round half away.
      const r = mulberry32(SEED ^ 0xacc);
      const rha = (v: number): number => Math.sign(v) * Math.floor(Math.abs(v) + 0.5);
      const g1 = (inC: number, outC: number, groups: number): ConvGeom => ({ ...fcGeom(inC, outC), groups });
      const cases: [string, number, ConvGeom, number[]][] = [
        ['grouped conv', FN_CONV, g1(6, 4, 2), [1, 2, 4]],
        ['depthwise', FN_DW, g1(5, 5, 5), [0, 3, 4]],
        ['pointwise', FN_PW, g1(6, 5, 1), [0, 2, 5]],
        ['fc', FN_FC, fcGeom(7, 4), [1, 2, 6]],
      ];
      const steps = 150;
      const cmds: string[] = [];
      const want: { w0: number[]; w: number[]; m: number[]; map: number[] }[] = [];
      for (const [label, fn, g, sel] of cases) {
        const map = masterMap(fn, g, sel);
        const xScale = f32(0.05), xZp = 3;
        const x = sel.map(() => randInt(r, -20, 20));
        const ws = range(g.out_c).map(() => f32(0.02 + 0.05 * r()));
        const dy = range(g.out_c).map(() => f32(0.5 * randn(r)));
        const w0 = range(g.out_c * (g.in_c / g.groups)).map(() => randInt(r, -110, 110));
        // entry e mirrors weight (o, sel[s]) with Δ from dy[o] and x[s]
        const os = (e: number): [number, number] => (fn === FN_DW ? [sel[e], e] : [Math.floor(e / sel.length), e % sel.length]);
        let peak = 0;
        map.forEach((j, e) => { if (j >= 0) { const [o, s] = os(e); peak = Math.max(peak, Math.abs(dy[o] * (x[s] - xZp) * xScale / ws[o])); } });
        const lr = f32(0.3 / peak); // |Δ| <= 0.3 per step
        const k = ws.map((v) => f32(f32(lr * xScale) / v));
        w0[map.find((j) => j >= 0) ?? 0] = 126; // one runs into the clamp (or away from 127)
        const w = w0.slice(), m = fill(map.length, NaN);
        let total = 0;
        map.forEach((j, e) => {
          if (j < 0) return;
          const [o, s] = os(e);
          const d = -f32(k[o] * f32(dy[o] * (x[s] - xZp)));
          assert.ok(Math.abs(d) < 0.5, `${label}: Δ ${d}`);
          let v = f32(w0[j]);
          for (let t = 0; t < steps; t++) v = Math.max(-127, Math.min(127, f32(v + d)));
          m[e] = v;
          w[j] = rha(v);
          total += Math.abs(w[j] - w0[j]);
        });
        assert.ok(total >= 10 * sel.length, `${label}: the expected moves are too small (${total})`);
        const a: UpdateArgs = { xScale, xZp, rounding: ROUND_MASTER, seed: 1, steps, lr, sel, w: w0, ws, master: fill(map.length, NaN), xs: x, dy };
        const near: UpdateArgs = { ...a, rounding: ROUND_NEAREST, master: null };
        cmds.push(fn === FN_FC ? fcupCmd(g.in_c, g.out_c, a) : convupCmd(fn, g, a));
        cmds.push(fn === FN_FC ? fcupCmd(g.in_c, g.out_c, near) : convupCmd(fn, g, near));
        want.push({ w0, w, m, map });
      }
      const out = runCmds(cmds);
      cases.forEach(([label], c) => {
        const { w0, w, m, map } = want[c];
        const res = parseUpdate(out[2 * c], w.length, map.length);
        assert.deepStrictEqual(res.q, w, `${label}: weights`);
        assert.deepStrictEqual(res.master.map(String), m.map(String), `${label}: master`);
        assert.deepStrictEqual(parseUpdate(out[2 * c + 1], w.length, 0).q, w0, `${label}: NEAREST moves nothing`);
      });
    });

    it('NEAREST and MASTER round half away from zero, exactly, in every update kernel (also near-.5 floats)', function () {
      // Δ = lr with s_x = s_w = 1, z = 0, x = 1, dy = −1: the expected result is exact.
      const cases: [number, number][] = [ // q, Δ
        [0, 0.5], [0, -0.5], [1, 0.5], [-1, -0.5], [3, -2.5], [-3, 2.5], [-3, 0.5], [3, -0.5], [0, 0.25],
        [0, -0.75], [126, 0.5], [126, 5], [-126, -0.5], [0, 0.4999999701976776], [1, 0.4999999701976776],
        [-1, -0.4999999701976776], [2, 0.5000000596046448], [-2, 0.49999997], [0, 0], [5, -7.5], [-5, 7.5],
        [100, 60.5], [-100, -60.5], [0, 1.5], [0, -1.5],
      ];
      const rha = (v: number): number => Math.sign(v) * Math.floor(Math.abs(v) + 0.5);
      const g1: ConvGeom = { in_c: 1, in_h: 1, in_w: 1, out_c: 1, out_h: 1, out_w: 1, kh: 1, kw: 1, stride_h: 1, stride_w: 1, pad_t: 0, pad_l: 0, groups: 1 };
      const cmds: string[] = [];
      const want: number[] = [];
      for (const [q, d] of cases) {
        for (const rounding of [ROUND_NEAREST, ROUND_MASTER]) {
          // NEAREST rounds q + Δ exactly; MASTER rounds the fp32 sum m = fl(q + Δ).
          const exact = rounding === ROUND_NEAREST ? q + f32(d) : f32(q + f32(d));
          const w = Math.max(-127, Math.min(127, rha(exact)));
          const a: UpdateArgs = {
            xScale: 1, xZp: 0, rounding, seed: 1, steps: 1, lr: f32(d), sel: [0], w: [q], ws: [1],
            master: rounding === ROUND_MASTER ? [q] : null, xs: [1], dy: [-1],
          };
          for (const fn of [FN_CONV, FN_DW, FN_PW]) { cmds.push(convupCmd(fn, g1, a)); want.push(w); }
          cmds.push(fcupCmd(1, 1, a)); want.push(w);
          cmds.push(biasupCmd(1, 1, 1, rounding, 1, 1, f32(d), [q], [1], a.master, [-1])); want.push(rha(exact));
        }
      }
      const got = runCmds(cmds).map((l) => Number(l[0]));
      const bad = got.map((g, i) => (g === want[i] ? '' : `${cmds[i].slice(0, 40)}…: ${g}, expected ${want[i]}`)).filter((m) => m);
      assert.deepStrictEqual(bad, []);
    });

    it('weights stay in [-127, 127] under any Δ in every mode; unselected channels and NaN gradients change nothing', function () {
      const r = mulberry32(SEED ^ 0xc1);
      const g: Geom = { inC: 4, inH: 4, inW: 4, outC: 3, outH: 4, outW: 4, kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1, groups: 1 };
      const cg = toConvGeom(g);
      const sel = [1, 3];
      const mask = convSelectedMask(cg, sel);
      const map = masterMap(FN_CONV, cg, sel);
      const cmds: string[] = [];
      const inputs: number[][] = [];
      for (const rounding of [ROUND_NEAREST, ROUND_STOCHASTIC, ROUND_MASTER]) {
        for (const lr of [1e3, 1e9, 3e38]) {
          const op = randConvOperands(r, g);
          op.wq = op.wq.map((v, i) => (i % 7 === 0 ? -128 : v)); // −128 is outside the update range
          op.dy = op.dy.map((v, i) => (i < 16 && lr === 1e9 ? NaN : v)); // channel 0 gets NaN
          inputs.push(op.wq);
          cmds.push(convupCmd(FN_CONV, cg, {
            xScale: op.xScale, xZp: op.xZp, rounding, seed: 3, steps: 3, lr: f32(lr), sel, w: op.wq, ws: op.ws,
            // the NaN-gradient case starts unset (lazy): a NaN Δ must leave the entry unset
            master: rounding !== ROUND_MASTER ? null : lr === 1e9 ? fill(map.length, NaN) : toSlice(map, op.wq),
            xs: gather(op.xq, 16, sel), dy: op.dy,
          }));
        }
      }
      let extremes = 0;
      const updated = mask.filter((m) => m).length * 3; // selected weights × steps
      let afterDraws = 3;
      for (let i = 0; i < updated; i++) afterDraws = xorshift(afterDraws);
      runCmds(cmds).forEach((line, c) => {
        const res = parseUpdate(line, inputs[c].length, c >= 6 ? map.length : 0);
        // STOCHASTIC draws once per selected weight whatever the gradient (NaN included)
        if (c >= 3 && c < 6) assert.strictEqual(res.state, afterDraws, `case ${c}: rng state`);
        res.q.forEach((q, i) => {
          const o = Math.floor(i / (4 * 9));
          if (!mask[i] || (c % 3 === 1 && o === 0)) {
            assert.strictEqual(q, inputs[c][i], `case ${c}: weight ${i} must not change`);
          } else {
            assert.ok(q >= -127 && q <= 127, `case ${c}: weight ${i} = ${q}`);
            if (Math.abs(q) === 127) extremes++;
          }
        });
        if (c >= 6) {
          res.master.forEach((m, k) => {
            const j = map[k];
            if (c % 3 === 1 && j < 4 * 9) assert.ok(Number.isNaN(m), `master ${k} = ${m}: set by a NaN Δ`);
            else assert.ok(m >= -127 && m <= 127, `master ${k} = ${m}`);
          });
        }
      });
      assert.ok(extremes > 100, `${extremes} weights at ±127`);
    });

    it('biases saturate to int32 in every mode; zero scales and NaN leave them alone', function () {
      const MAX = 2 ** 31 - 1, MIN = -(2 ** 31);
      const cmds: string[] = [];
      for (const rounding of [ROUND_NEAREST, ROUND_STOCHASTIC, ROUND_MASTER]) {
        const bias = [MAX - 3, MIN + 3, 1000, -1000, 77, 5];
        const dy = [-1e30, 1e30, -1e30, 1e30, NaN, 1];
        const ws = [1, 1, 1, 1, 1, 0];
        cmds.push(biasupCmd(6, 1, 1, rounding, 9, 1, 1, bias, ws, rounding === ROUND_MASTER ? bias.map((b) => f32(b)) : null, dy));
      }
      let st = 9;
      for (let i = 0; i < 6; i++) st = xorshift(st);
      runCmds(cmds).forEach((line, c) => {
        const res = parseUpdate(line, 6, c === 2 ? 6 : 0);
        assert.deepStrictEqual(res.q, [MAX, MIN, MAX, MIN, 77, 5], `mode ${c}`);
        if (c === 1) assert.strictEqual(res.state, st, 'one draw per bias, NaN included');
      });
    });

    it('invalid labels (and a NaN scale) give a NaN loss and zero dlogits; masks are LSB-first with clear padding bits', function () {
      const out = runCmds([
        tok('xent', 4, 0.1, 0, 4, [1, 2, 3, 4]), tok('xent', 4, 0.1, 0, -1, [1, 2, 3, 4]), tok('xent', 0, 0.1, 0, 0, []),
        tok('xent', 3, NaN, 0, 1, [1, 2, 3]),
        tok('mask', 11, -1, 3, [0, 1, 2, 3, -1, 0, 0, 5, 2, 1, 9]),
        tok('mask', 3, -129, 128, [-128, 0, 127]),
        tok('maskapply', 11, [0x83, 0x05], range(11).map((i) => i + 0.5)),
        tok('ew', 0, 3, [1, 2, 3], [0.5, 0.25, -3], 0), tok('ew', 1, 2, [1, 2], [7, 8], 0), tok('ew', 2, 2, [1, -2], [0, 0], 0.5),
        tok('gather', 3, 4, 2, [3, 1], range(12)),
      ]);
      assert.ok(Number.isNaN(num(out[0][0])) && Number.isNaN(num(out[1][0])) && Number.isNaN(num(out[2][0])));
      assert.deepStrictEqual(out[0].slice(1).map(num), [0, 0, 0, 0]);
      assert.ok(Number.isNaN(num(out[3][0])), 'NaN scale');
      assert.deepStrictEqual(out[3].slice(1).map(num), [0, 0, 0]);
      out.splice(3, 1);
      // 0,1,2 in (−1,3) → bits 0,1,2; 3 no; −1 no; 0,0 → bits 5,6; 5 no | 2,1 → bits 0,1; 9 no
      assert.deepStrictEqual(out[3].map(Number), [0x67, 0x03]);
      assert.deepStrictEqual(out[4].map(Number), [0x07]);
      assert.deepStrictEqual(out[5].map(num), [0.5, 1.5, 0, 0, 0, 0, 0, 7.5, 8.5, 0, 10.5]);
      assert.deepStrictEqual(out[6].map(num), [1.5, 2.25, 0]);
      assert.deepStrictEqual(out[7].map(num), [7, 8]);
      assert.deepStrictEqual(out[8].map(num), [0.5, -1]);
      assert.deepStrictEqual(out[9].map(Number), [9, 10, 11, 3, 4, 5]);
    });
  });

  describe('math (tt_expf / tt_logf / tt_cosf against Math.*)', function () {
    function measure(fn: number, xs: number[], ref: (x: number) => number): { worst: number; at: number } {
      const bits = xs.map(bitsOf);
      const out = runCmds([tok('math', fn, bits.length, bits)])[0].map(Number);
      let worst = 0, at = NaN;
      out.forEach((b, i) => {
        const e = ulpErr(floatOf(b), ref(floatOf(bits[i])));
        if (e > worst || Number.isNaN(e)) { worst = e; at = floatOf(bits[i]); }
      });
      return { worst, at };
    }
    const uniform = (r: Rng, n: number, lo: number, hi: number): number[] => range(n).map(() => f32(lo + (hi - lo) * r()));

    it('tt_expf: < 1 ulp on [−87.3, 88.7], < 1 subnormal unit below, exact specials', function () {
      const r = mulberry32(SEED ^ 0xe1);
      const xs = [
        ...uniform(r, 40000, -87.3, 88.72), ...uniform(r, 5000, -1, 1), ...uniform(r, 2000, -1e-3, 1e-3),
        ...range(2000).map(() => floatOf(randInt(r, 0x39000000, 0x42b17217))), // positive, every binade
        ...range(2000).map(() => floatOf(0x80000000 + randInt(r, 0x39000000, 0x42aeac4f))),
      ];
      const normal = measure(0, xs, Math.exp);
      assert.ok(normal.worst < 1, `expf worst ${normal.worst} ulp at ${normal.at}`);
      const sub = measure(0, uniform(r, 3000, -103.97, -87.34), Math.exp);
      assert.ok(sub.worst <= 1, `expf subnormal worst ${sub.worst} at ${sub.at}`);
      const sp = runCmds([tok('math', 0, 8, [0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x42b17218, 0xc2d00000, 0x3f800000].map((b) => b >>> 0))])[0].map(Number);
      assert.deepStrictEqual(sp.slice(0, 4).map(floatOf), [1, 1, Infinity, 0]);
      assert.ok(Number.isNaN(floatOf(sp[4])));
      assert.strictEqual(floatOf(sp[5]), Infinity);
      assert.strictEqual(floatOf(sp[6]), 0);
      assert.strictEqual(floatOf(sp[7]), f32(Math.E));
    });

    it('tt_logf: < 1 ulp over all positive floats (subnormals too), exact specials', function () {
      const r = mulberry32(SEED ^ 0xe2);
      const xs = [
        ...range(40000).map(() => floatOf(randInt(r, 1, 0x7f7fffff))),
        ...uniform(r, 5000, 0.5, 2), ...uniform(r, 3000, 0.998, 1.002), ...uniform(r, 3000, 1, 1000),
      ];
      const m = measure(1, xs, Math.log);
      assert.ok(m.worst < 1, `logf worst ${m.worst} ulp at ${m.at}`);
      const sp = runCmds([tok('math', 1, 6, [0x3f800000, 0, 0x80000000, 0xbf800000, 0x7f800000, 0x7fc00000].map((b) => b >>> 0))])[0].map(Number).map(floatOf);
      assert.strictEqual(sp[0], 0);
      assert.strictEqual(sp[1], -Infinity);
      assert.strictEqual(sp[2], -Infinity);
      assert.ok(Number.isNaN(sp[3]) && Number.isNaN(sp[5]));
      assert.strictEqual(sp[4], Infinity);
    });

    it('tt_cosf: < 1 ulp for |x| <= 201, also next to every zero k·π/2 there; NaN beyond 2^23', function () {
      const r = mulberry32(SEED ^ 0xe3);
      const near: number[] = [];
      for (let k = 1; k <= 128; k++) {
        const b = bitsOf(f32((k * Math.PI) / 2));
        for (let d = -3; d <= 3; d++) near.push(floatOf(b + d));
      }
      const xs = [...uniform(r, 40000, -8, 8), ...uniform(r, 10000, -201, 201), ...uniform(r, 2000, -1e-3, 1e-3), ...near];
      const m = measure(2, xs, Math.cos);
      assert.ok(m.worst < 1, `cosf worst ${m.worst} ulp at ${m.at}`);
      const sp = runCmds([tok('math', 2, 5, [0, 0x80000000, 0x4b000000, 0x7f800000, 0x7fc00000].map((b) => b >>> 0))])[0].map(Number).map(floatOf);
      assert.deepStrictEqual(sp.slice(0, 2), [1, 1]);
      assert.ok(sp.slice(2).every(Number.isNaN));
    });
  });

  // The optimized Cortex-M paths (#if TT_DSP in firmware/train) compiled on the host with
  // TT_DSP_EMULATE must print exactly what the portable build prints: the same float
  // operations in the same order for every element, the same integers and rng draws.
  describe('optimized paths (TT_DSP_EMULATE): byte-identical to the portable build', function () {
    let dspExe = '';
    before(function () {
      dspExe = compileC([DRIVER, ...linkSources()], path.join(workDir, 'train_driver_dsp'),
        { includeDirs: [INCLUDE], cflags: CFLAGS, defines: ['TT_DSP_EMULATE'] });
    });

    /** Runs cmds on both builds and reports the commands whose lines differ. Which NaN an
     * operation on two NaNs returns is left open by IEEE 754 and C, and GCC commutes float
     * additions, so the sign of a NaN is the one thing not compared. */
    const norm = (line: string[]): string => line.map((t) => (t === '-nan' ? 'nan' : t)).join(' ');
    const compared: { cmds: string[]; out: string[] }[] = [];
    function compare(cmds: string[]): string[] {
      const a = runCmds(cmds), b = runCmds(cmds, dspExe);
      compared.push({ cmds, out: b.map(norm) });
      const bad: string[] = [];
      a.forEach((line, i) => { if (norm(line) !== norm(b[i])) bad.push(cmds[i].slice(0, 100)); });
      return bad;
    }

    // Floats with the corner cases a reordering would show: ±0, tiny, huge, mixed signs.
    const vals = (r: Rng, n: number, special = 0.02): number[] => range(n).map(() => {
      if (r() < special) return [0, -0, 1e-30, -1e-30, 3e30, -3e30, Infinity, -Infinity, NaN][randInt(r, 0, 8)];
      return f32(randn(r) * (r() < 0.5 ? 1 : 100));
    });
    const s8 = (r: Rng, n: number, lo = -127, hi = 127): number[] => range(n).map(() => randInt(r, lo, hi));
    const scales = (r: Rng, n: number): number[] =>
      range(n).map(() => (r() < 0.03 ? [0, Infinity, 3e38][randInt(r, 0, 2)] : f32(0.001 + 0.05 * r())));
    const geom = (inC: number, inH: number, inW: number, outC: number, k: number, s: number, groups: number, pad = (k - 1) >> 1): ConvGeom => ({
      in_c: inC, in_h: inH, in_w: inW, out_c: outC, out_h: Math.floor((inH + 2 * pad - k) / s) + 1,
      out_w: Math.floor((inW + 2 * pad - k) / s) + 1, kh: k, kw: k, stride_h: s, stride_w: s, pad_t: pad, pad_l: pad, groups,
    });
    /** Random split of in_c channels into n_train trainable slots (in_slot, sel). */
    function split(r: Rng, inC: number, nTrain: number): { slot: number[]; sel: number[] } {
      const sel = range(inC).filter(() => true).sort(() => r() - 0.5).slice(0, nTrain).sort((a, b) => a - b);
      let f = 0;
      const slot = range(inC).map((i) => (sel.includes(i) ? 0x8000 | sel.indexOf(i) : f++));
      return { slot, sel };
    }
    // A dx start value: NaN in overwrite mode (reading it would show), else values with -0.
    const dx0 = (r: Rng, n: number, acc: number): number[] => (acc ? vals(r, n, 0.1) : fill(n, NaN));

    it('the oracle commands of the tests above (fixtures, rounding, masks, math)', function () {
      assert.ok(played.length > 10, 'run after the other tests');
      const bad: string[] = [];
      for (const p of played.slice()) bad.push(...compare(p.cmds));
      assert.deepStrictEqual(bad, []);
    });

    it('pointwise backward_input: network shapes, odd channel counts and planes, split weights, accumulate 0/1', function () {
      const r = mulberry32(SEED ^ 0xd5f1);
      const shapes: [number, number, number, number][] = [
        [48, 192, 8, 8], [576, 160, 4, 4], [160, 48, 8, 8], [96, 576, 4, 4], [160, 10, 1, 1],
        [7, 5, 1, 1], [5, 13, 1, 3], [13, 7, 1, 17], [4, 70, 3, 3], [11, 33, 2, 5], [1, 1, 1, 1], [2, 3, 3, 1],
      ];
      const cmds: string[] = [];
      for (const [inC, outC, h, w] of shapes) for (const acc of [0, 1]) {
        const g = geom(inC, h, w, outC, 1, 1, 1);
        const ws = scales(r, outC), dy = vals(r, outC * h * w);
        cmds.push(convbwCmd(FN_PW, g, acc, s8(r, outC * inC, -128), ws, dy, dx0(r, inC * h * w, acc)));
        const nTrain = Math.max(1, Math.floor(inC / 3));
        if (nTrain < inC) {
          const { slot } = split(r, inC, nTrain);
          cmds.push(tok('convbws', FN_PW, geomTokens(g), acc, nTrain, slot, s8(r, outC * (inC - nTrain)), s8(r, outC * nTrain),
            ws, dy, dx0(r, inC * h * w, acc)));
        }
      }
      assert.deepStrictEqual(compare(cmds), []);
    });

    it('depthwise backward_input (and in place): 1x1..7x7, stride 1/2, planes 1x1..17x17, split weights, accumulate 0/1', function () {
      const r = mulberry32(SEED ^ 0xd5f2);
      const cmds: string[] = [];
      const planes: [number, number][] = [[4, 4], [8, 8], [16, 16], [1, 1], [3, 3], [5, 7], [9, 9], [2, 17], [17, 3]];
      for (const k of [1, 3, 5, 7]) for (const s of [1, 2]) for (const [h, w] of planes) {
        for (const pad of [(k - 1) >> 1, 0, k - 1]) {
          if (h + 2 * pad < k || w + 2 * pad < k) continue;
          if (pad !== (k - 1) >> 1 && r() < 0.6) continue;
          const C = randInt(r, 1, 6);
          const g = geom(C, h, w, C, k, s, C, pad);
          const ws = scales(r, C), wq = s8(r, C * k * k, -128), yn = C * g.out_h * g.out_w, xn = C * h * w;
          for (const acc of [0, 1]) {
            const dy = vals(r, yn);
            cmds.push(convbwCmd(FN_DW, g, acc, wq, ws, dy, dx0(r, xn, acc)));
            if (C > 1) {
              const nTrain = randInt(r, 1, C - 1);
              const { slot } = split(r, C, nTrain);
              cmds.push(tok('convbws', FN_DW, geomTokens(g), acc, nTrain, slot, s8(r, (C - nTrain) * k * k), s8(r, nTrain * k * k),
                ws, dy, dx0(r, xn, acc)));
            }
          }
          if (s === 1 && g.out_h === h && g.out_w === w) cmds.push(tok('dwinplace', geomTokens(g), wq, ws, vals(r, xn)));
        }
      }
      // Signed zeros: dx starting at −0 keeps it only while every added term is −0, and
      // cells no window reaches (stride 2, no padding) keep their start value.
      for (const [h, w, k, s, pad] of [[4, 4, 3, 2, 0], [6, 5, 5, 2, 0], [5, 9, 3, 1, 1], [8, 8, 7, 2, 3], [3, 3, 3, 1, 1]]) {
        const C = 3;
        const g = geom(C, h, w, C, k, s, C, pad);
        const yn = C * g.out_h * g.out_w;
        const dy = range(yn).map(() => (r() < 0.5 ? -0 : r() < 0.5 ? 0 : f32(randn(r))));
        for (const dx of [fill(C * h * w, -0), range(C * h * w).map(() => (r() < 0.5 ? -0 : NaN))]) {
          cmds.push(convbwCmd(FN_DW, g, 1, s8(r, C * k * k), scales(r, C), dy, dx));
          cmds.push(convbwCmd(FN_DW, g, 1, fill(C * k * k, 0), fill(C, 1), dy, dx));
        }
      }
      // The network's: 576 ch 3x3 at 4x4, 384 ch 5x5 at 4x4, 192 ch 3x3 at 8x8, 240 ch 7x7/2 from 8x8.
      for (const [C, h, k, s] of [[576, 4, 3, 1], [384, 4, 5, 1], [192, 8, 3, 1], [240, 8, 7, 2]]) {
        const g = geom(C, h, h, C, k, s, C);
        const wq = s8(r, C * k * k), ws = scales(r, C);
        cmds.push(convbwCmd(FN_DW, g, 0, wq, ws, vals(r, C * g.out_h * g.out_w), dx0(r, C * h * h, 0)));
        if (s === 1) cmds.push(tok('dwinplace', geomTokens(g), wq, ws, vals(r, C * h * h)));
      }
      assert.deepStrictEqual(compare(cmds), []);
    });

    it('pointwise / depthwise / conv / fc updates and bias updates: every rounding, masters, sel', function () {
      const r = mulberry32(SEED ^ 0xd5f3);
      const cmds: string[] = [];
      const pw: [number, number, number, number, number][] = [
        [48, 192, 8, 8, 24], [48, 144, 8, 8, 12], [160, 10, 1, 1, 160], [7, 5, 1, 1, 3], [13, 7, 1, 17, 13], [9, 11, 3, 3, 4], [5, 3, 1, 3, 1],
        [250, 3, 1, 5, 230], [100, 9, 2, 2, 97],
      ];
      for (const [inC, outC, h, w, nSel] of pw) for (const rounding of [ROUND_NEAREST, ROUND_STOCHASTIC, ROUND_MASTER]) {
        const g = geom(inC, h, w, outC, 1, 1, 1);
        const sel = split(r, inC, nSel).sel;
        const hasSel = r() < 0.7;
        const master = rounding === ROUND_MASTER ? range(outC * nSel).map(() => (r() < 0.3 ? NaN : randInt(r, -127, 127) + r())) : null;
        cmds.push(convupCmd(FN_PW, g, {
          xScale: f32(0.02 + 0.05 * r()), xZp: randInt(r, -128, 127), rounding, seed: randInt(r, 1, 1e9), steps: 2,
          lr: f32(0.5 * r()), sel: hasSel ? sel : null, nSel, w: s8(r, outC * inC), ws: scales(r, outC), master,
          xs: s8(r, nSel * h * w, -128), dy: vals(r, outC * h * w),
        }));
      }
      for (const [C, h, k, s] of [[6, 4, 3, 1], [5, 8, 7, 2], [3, 5, 5, 1]]) for (const rounding of [ROUND_STOCHASTIC, ROUND_MASTER]) {
        const g = geom(C, h, h, C, k, s, C);
        const sel = split(r, C, randInt(r, 1, C)).sel;
        const master = rounding === ROUND_MASTER ? range(sel.length * k * k).map(() => (r() < 0.3 ? NaN : randInt(r, -127, 127))) : null;
        for (const fn of [FN_CONV, FN_DW]) {
          cmds.push(convupCmd(fn, g, {
            xScale: f32(0.03), xZp: randInt(r, -20, 20), rounding, seed: 99, steps: 1, lr: f32(0.2), sel,
            w: s8(r, C * k * k), ws: scales(r, C), master: fn === FN_DW ? master : null,
            xs: s8(r, sel.length * h * h, -128), dy: vals(r, C * g.out_h * g.out_w),
          }));
        }
      }
      for (const [outC, plane] of [[10, 1], [160, 16], [48, 64], [7, 3], [5, 17], [3, 0]]) {
        for (const rounding of [ROUND_NEAREST, ROUND_STOCHASTIC, ROUND_MASTER]) {
          const bias = range(outC).map(() => (r() < 0.1 ? [2147483647, -2147483648, 1 << 26][randInt(r, 0, 2)] : randInt(r, -5000, 5000)));
          cmds.push(biasupCmd(outC, plane, f32(0.02), rounding, 1234, 2, f32(0.3 * r()), bias, scales(r, outC),
            rounding === ROUND_MASTER ? range(outC).map(() => (r() < 0.3 ? NaN : bias[0])) : null, vals(r, outC * plane)));
        }
      }
      assert.deepStrictEqual(compare(cmds), []);
    });

    it('masks, mask apply, clamp backward and elementwise: lengths around word and byte boundaries', function () {
      const r = mulberry32(SEED ^ 0xd5f4);
      const cmds: string[] = [];
      for (const n of [0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 100, 1027]) {
        for (const [lo, hi] of [[-128, 127], [-129, 128], [0, 127], [-128, 20], [-5, 5], [3, 3], [126, 128], [-129, -127]]) {
          const x = range(n).map(() => (r() < 0.3 ? [-128, 127, lo, hi, lo + 1, hi - 1][randInt(r, 0, 5)] : randInt(r, -128, 127)))
            .map((v) => Math.max(-128, Math.min(127, v)));
          cmds.push(tok('mask', n, lo, hi, x));
          cmds.push(tok('clampbw', n, lo, hi, x, vals(r, n)));
        }
        const bits = range((n + 7) >> 3).map(() => [0, 255, randInt(r, 0, 255)][randInt(r, 0, 2)]);
        cmds.push(tok('maskapply', n, bits, vals(r, n)));
        for (const op of [0, 1, 2]) cmds.push(tok('ew', op, n, vals(r, n), vals(r, n), f32(randn(r))));
      }
      assert.deepStrictEqual(compare(cmds), []);
    });

    it('channel-streamed backward: pointwise / conv P, masks, split weights, accumulate, every update', function () {
      const r = mulberry32(SEED ^ 0xd5f5);
      const cmds: string[] = [];
      // [C, D plane, D k, D stride, P in_c, P k (1: pointwise), n_train (0: no split)]
      const cases: [number, number, number, number, number, number, number][] = [
        [24, 8, 7, 2, 16, 1, 8], [24, 8, 7, 2, 16, 1, 0], [9, 4, 3, 1, 5, 1, 2], [13, 4, 5, 1, 7, 1, 0],
        [5, 3, 3, 1, 4, 3, 0], [6, 17, 3, 1, 3, 1, 1], [3, 9, 5, 2, 2, 1, 0], [40, 2, 3, 1, 33, 1, 11],
        [5, 2, 3, 1, 200, 1, 0], [3, 8, 3, 1, 9, 1, 0],
      ];
      for (const [C, h, k, s, pin, pk, nTrain] of cases) for (let v = 0; v < 4; v++) {
        const d = geom(C, h, h, C, k, s, C);
        const dplane = h * h;
        const pg = geom(pin, h, h, C, pk, 1, 1);
        const pplane = h * h;
        const parts: (number | string | readonly number[])[] = ['stream', geomTokens(d), s8(r, C * k * k), scales(r, C), vals(r, C * d.out_h * d.out_w)];
        const mtype = v % 3;
        parts.push(mtype);
        if (mtype === 1) parts.push(range((C * dplane + 7) >> 3).map(() => randInt(r, 0, 255)));
        if (mtype === 2) parts.push(-128, 127, s8(r, C * dplane, -128));
        parts.push(geomTokens(pg), nTrain);
        const { slot, sel } = split(r, pin, nTrain || Math.max(1, pin >> 1));
        if (nTrain) parts.push(slot);
        parts.push(s8(r, C * (pin - nTrain) * pk * pk));
        if (nTrain) parts.push(s8(r, C * nTrain * pk * pk));
        parts.push(scales(r, C));
        const acc = v >> 1;
        parts.push(1, pk === 1 ? 1 : 0, acc, dx0(r, pin * pplane, acc));
        const hasPw = v !== 3 || nTrain > 0;
        const rounding = [ROUND_STOCHASTIC, ROUND_MASTER, ROUND_NEAREST][randInt(r, 0, 2)];
        if (hasPw) {
          const nm = C * sel.length * pk * pk;
          parts.push(1, pk === 1 ? 1 : 0, f32(0.05), randInt(r, -10, 10), rounding, 1, sel.length, sel,
            rounding === ROUND_MASTER ? 1 : 0, ...(rounding === ROUND_MASTER ? [nm, range(nm).map(() => (r() < 0.5 ? NaN : r()))] : []),
            s8(r, sel.length * pplane, -128));
        } else parts.push(0);
        parts.push(1, f32(0.04), rounding, s8(r, C).map((b) => b * 100), rounding === ROUND_MASTER ? 1 : 0);
        if (rounding === ROUND_MASTER) parts.push(fill(C, NaN));
        parts.push(randInt(r, 1, 1e9), f32(0.1 + r()));
        cmds.push(tok(...parts));
      }
      assert.deepStrictEqual(compare(cmds), []);
    });

    it('the optimized paths run clean at -O0 under ASan/UBSan, with the same results', function () {
      const flags = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O0', '-g', '-fno-omit-frame-pointer',
        '-ffp-contract=off', '-fno-math-errno', '-fsanitize=address,undefined', '-fno-sanitize-recover=all'];
      const probe = path.join(workDir, 'probe-dsp.c');
      fs.writeFileSync(probe, 'int main(void) { return 0; }\n');
      try {
        compileC([probe], path.join(workDir, 'probe-dsp'), { cflags: flags });
      } catch {
        this.skip(); // no sanitizer runtime on this host
      }
      const san = compileC([DRIVER, ...linkSources()], path.join(workDir, 'train_driver_dsp_san'),
        { includeDirs: [INCLUDE], cflags: flags, defines: ['TT_DSP_EMULATE'] });
      assert.ok(compared.length >= 5, 'run after the comparisons above');
      for (const c of compared) {
        const out = runCmds(c.cmds, san).map(norm);
        out.forEach((line, i) => assert.strictEqual(line, c.out[i], `different at -O0: ${c.cmds[i].slice(0, 80)}`));
      }
    });
  });

  describe('portability', function () {
    it('every firmware/train/*.c builds with -Werror for Cortex-M7/M4 (-O2, -Os) with no double, libm or libc calls', function () {
      const cc = process.env.ARM_CC ?? 'arm-none-eabi-gcc';
      const nm = cc.replace(/gcc$/, 'nm');
      assert.ok(haveCommand(cc), `${cc} not found (apt-get install gcc-arm-none-eabi)`);
      const sources = trainSources();
      assert.ok(sources.length >= 20, `${sources.length} sources`);
      const problems: string[] = [];
      for (const [cpu, flags] of Object.entries(ARM_TARGETS)) for (const opt of ['-O2', '-Os']) {
        for (const src of sources) {
          const obj = path.join(workDir, `${cpu}${opt}-${path.basename(src, '.c')}.o`);
          compileC([src], obj, {
            cc, includeDirs: [INCLUDE], compileOnly: true,
            cflags: [...CFLAGS, opt, '-Wdouble-promotion', ...flags],
          });
          const res = runExe(nm, ['-u', obj]);
          assert.strictEqual(res.status, 0, res.stderr);
          const undef = res.stdout.split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '').filter((s) => s);
          // The runtime's own functions, libgcc's integer/float helpers (never a double
          // one: __aeabi_d*) and the memset gcc emits for zeroing loops (nano.specs).
          const foreign = undef.filter((s) => !/^tt_/.test(s) && !(/^__aeabi_/.test(s) && !/^__aeabi_d/.test(s)) && s !== 'memset');
          if (foreign.length) problems.push(`${cpu} ${opt} ${path.basename(src)}: ${foreign.join(', ')}`);
        }
      }
      assert.deepStrictEqual(problems, []);
    });

    it('the oracle runs give the same bits at -O0 under ASan/UBSan', function () {
      const flags = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O0', '-g', '-fno-omit-frame-pointer',
        '-ffp-contract=off', '-fno-math-errno', '-fsanitize=address,undefined', '-fno-sanitize-recover=all'];
      const probe = path.join(workDir, 'probe.c');
      fs.writeFileSync(probe, 'int main(void) { return 0; }\n');
      try {
        compileC([probe], path.join(workDir, 'probe'), { cflags: flags });
      } catch {
        this.skip(); // no sanitizer runtime on this host
      }
      const san = compileC([DRIVER, ...linkSources()], path.join(workDir, 'train_driver_san'), { includeDirs: [INCLUDE], cflags: flags });
      assert.ok(played.length > 10, 'run after the other tests');
      for (const p of played) {
        const file = path.join(workDir, `san-${batchNo++}.txt`);
        fs.writeFileSync(file, p.cmds.join('\n') + '\n');
        const r = runExe(san, [file], { env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' }, timeoutMs: 120_000 });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout, p.stdout, `different results at -O0: ${p.cmds[0].slice(0, 80)}`);
      }
    });
  });
});
