// Issue 6: safe code generation. ONNX names can hold anything, so the generated C must take
// every identifier, comment and string literal from sanitized names. First the sanitizers on
// their own (checked with a tiny C lexer that does translation phases 1-2 like gcc -std=c99:
// trigraphs, line splices), then the pipeline: a fixture whose node, tensor, initializer,
// input/output and graph names are hostile, from a file whose name is hostile too, must
// generate, build with -Werror for QEMU and the host, and compute exactly what the same model
// with its original names computes, without writing outside the output folder.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { commentText, createNamer, cStringLiteral } from '../src/codegen/names';
import { gen, GenOptions } from '../src/pipeline/gen';
import { buildProject, emulateProject, EmulateSummary } from '../src/pipeline/run';
import { writeNpyDataset } from './helpers/npy';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'models', 'dw_separable_residual.onnx');

// Every hostile name carries EVIL (or PWNED, /etc/, abs/path): none of these may reach C code
// outside a comment or a string literal. Identifiers are lowercase, so 'evil' in them is fine.
const MARKERS = ['EVIL', 'PWNED', '/etc/', 'abs/path'];
const long = (tail: string): string => `${'x'.repeat(4990 - tail.length)}EVIL */ \\${tail}`.padEnd(5000, '?');

/** Tensor names (values must be unique and non-empty in ONNX). */
const TENSOR_NAMES = [
  '#include <stdio.h> EVIL',
  'EVIL */ int evil_a = 1; /*',
  '/* EVIL nested comment',
  '// EVIL line comment',
  'EVIL "dq" \\" end',
  "EVIL 'sq' '\\''",
  'EVIL back\\slash \\n \\x41 \\',
  'EVIL trailing backslash \\',
  'EVIL trigraph ??/',
  'EVIL ??/\n#error trigraph continuation',
  'EVIL\n#define int void\n',
  'EVIL\r\n#pragma GCC poison int\r',
  '../../../etc/x',
  '/abs/path EVIL',
  'EVIL\ttab \x1b[31mesc\x07\x7f\x01',
  'EVIL é 中文 😀 \u2028 \u2029 \u0085 \ufeff',
  'EVIL *\\ star then backslash',
  'EVIL \\* backslash then star',
  'EVIL */*/**//*',
  long('tensor'),
  'int',
  'return',
  '0 starts with a digit EVIL',
  'main',
  '123',
];

/** Node names by the fixture's node name: collisions after sanitizing, empty, long, keywords. */
const NODE_NAMES: Record<string, string> = {
  '/stem/stem.0/Conv': 'Conv-A */ EVIL',
  '/stem/stem.2/Constant': '',
  '/stem/stem.2/Constant_1': '',
  '/stem/stem.2/Clip': '',
  '/dw/dw.0/Conv': 'conv a //EVIL\n',
  '/dw/dw.2/Constant': 'return',
  '/dw/dw.2/Constant_1': '\\',
  '/dw/dw.2/Clip': 'main',
  '/pw/pw.0/Conv': 'CONV_A "EVIL" */',
  '/Add': long('one'),
  '/Relu': long('two'),
  '/pool/GlobalAveragePool': '😀',
  '/Flatten': '',
  '/fc/Gemm': '中文',
};

/** Tiled execution names its parameter structs <node>_t<tile>_p: these must not collide. */
const TILE_NODE_NAMES: Record<string, string> = {
  ...NODE_NAMES,
  '/stem/stem.0/Conv': 'x */',
  '/pool/GlobalAveragePool': 'x\tt1',
  '/fc/Gemm': '/x/t2',
};

const GRAPH_NAME = 'EVIL graph */ #include <stdio.h>\n\\';
const MODEL_DIR = 'dir with spaces "dq" \'sq\'';
const MODEL_FILE = 'my model "v1" \'x\' */ \\ ??/ $(touch PWNED) é\n#EVIL.onnx';

// ---- a tiny C lexer ----

const TRIGRAPHS: Record<string, string> = { '=': '#', '/': '\\', "'": '^', '(': '[', ')': ']', '!': '|', '<': '{', '>': '}', '-': '~' };

/** Translation phases 1-2 as gcc -std=c99 does them: trigraphs, then backslash-newline splices. */
function phases12(src: string): string {
  return src.replace(/\?\?([=/'()!<>-])/g, (_, c: string) => TRIGRAPHS[c]).replace(/\\[ \t]*\r?\n/g, '');
}

interface Lexed { code: string; comments: string[]; strings: string[] }

/** Code with every comment replaced by a space and every string or char literal by "" (or ''). */
function lexC(src: string): Lexed {
  const s = phases12(src);
  const comments: string[] = [];
  const strings: string[] = [];
  let code = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    const d = s[i + 1];
    if (c === '/' && d === '*') {
      const end = s.indexOf('*/', i + 2);
      if (end < 0) throw new Error(`unterminated comment: ${JSON.stringify(s.slice(i, i + 80))}`);
      comments.push(s.slice(i + 2, end));
      code += ' ';
      i = end + 2;
    } else if (c === '/' && d === '/') {
      const end = s.indexOf('\n', i) < 0 ? s.length : s.indexOf('\n', i);
      comments.push(s.slice(i + 2, end));
      code += ' ';
      i = end;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < s.length && s[j] !== c) {
        if (s[j] === '\n') throw new Error(`newline in a literal: ${JSON.stringify(s.slice(i, j + 1))}`);
        j += s[j] === '\\' ? 2 : 1;
      }
      if (j >= s.length) throw new Error(`unterminated literal: ${JSON.stringify(s.slice(i, i + 80))}`);
      strings.push(s.slice(i + 1, j));
      code += c + c;
      i = j + 1;
    } else {
      code += c;
      i++;
    }
  }
  return { code, comments, strings };
}

/** What every piece of generated C must satisfy, whatever the names were. */
function assertSafeC(file: string, text: string): Lexed {
  const bad = text.match(/[^\x20-\x7e\n]/);
  assert.equal(bad, null, `${file}: non-printable or non-ASCII character ${JSON.stringify(bad?.[0])}`);
  const tri = text.match(/.{0,30}\?\?[=/'()!<>-].{0,30}/);
  assert.equal(tri, null, `${file}: trigraph in ${JSON.stringify(tri?.[0])}`);
  const splice = text.match(/.{0,40}\\\n/);
  assert.equal(splice, null, `${file}: line continuation in ${JSON.stringify(splice?.[0])}`);
  const lexed = lexC(text);
  for (const m of MARKERS) {
    const at = lexed.code.indexOf(m);
    assert.equal(at, -1, `${file}: '${m}' reached C code: ${JSON.stringify(lexed.code.slice(Math.max(0, at - 60), at + 60))}`);
  }
  for (const c of lexed.comments) assert.ok(!c.includes('/*'), `${file}: nested comment opener in ${JSON.stringify(c)}`);
  for (const s of lexed.strings) {
    assert.match(s, /^(?:[\x20-\x21\x23-\x3e\x40-\x5b\x5d-\x7e]|\\["\\nrt0])*$/, `${file}: unsafe string literal "${s}"`);
  }
  return lexed;
}

const directives = (code: string): string[] => code.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('#'));

// ---- the hostile model ----

/** The fixture with every name replaced; `nodes` maps the fixture's node names. Returns the
 *  renames of tensors and of nodes (an unnamed node is "<OpType>_<index>" to the importer). */
function hostileModel(file: string, nodes: Record<string, string>, graphName: string): { tensors: Map<string, string>; nodes: Map<string, string> } {
  const m = onnx.ModelProto.decode(fs.readFileSync(FIXTURE));
  const g = m.graph as onnx.GraphProto;
  const renames = new Map<string, string>();
  const ren = (t: string): string => {
    if (t === '') return t; // an absent optional input
    let r = renames.get(t);
    if (r === undefined) {
      r = TENSOR_NAMES[renames.size];
      assert.ok(r !== undefined, 'more tensors than hostile names');
      renames.set(t, r);
    }
    return r;
  };
  for (const v of g.input) v.name = ren(v.name ?? '');
  for (const t of g.initializer) t.name = ren(t.name ?? '');
  const nodeRenames = new Map<string, string>();
  g.node.forEach((n, i) => {
    n.input = (n.input ?? []).map(ren);
    n.output = (n.output ?? []).map(ren);
    const old = n.name ?? '';
    assert.ok(old in nodes, `fixture changed: unexpected node ${old}`);
    nodeRenames.set(old, nodes[old] || `${n.opType}_${i}`);
    n.name = nodes[old];
  });
  for (const v of [...g.output, ...g.valueInfo]) v.name = ren(v.name ?? '');
  g.name = graphName;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, onnx.ModelProto.encode(m).finish());
  return { tensors: renames, nodes: nodeRenames };
}

/** Every path under `dir` except those inside `skip` (the output folders). */
function listTree(dir: string, skip: string[]): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (skip.includes(p)) continue;
    out.push(p);
    if (e.isDirectory()) out.push(...listTree(p, skip));
  }
  return out.sort();
}

const C_FILES = ['main.c', 'model/model.c', 'model/model.h', 'model/weights.c', 'model/weights.h'];

interface Runs { emu: EmulateSummary; host: EmulateSummary; lines: string[] }

async function buildAndRun(out: string): Promise<Runs> {
  buildProject(out, 'emu');
  const lines: string[] = [];
  const emu = await emulateProject(out, { onLine: (l) => lines.push(l) });
  buildProject(out, 'host');
  const host = await emulateProject(out, { host: true });
  return { emu, host, lines };
}

describe('hostile ONNX names (issue 6)', function () {
  this.timeout(900_000);

  describe('sanitizers', () => {
    const all = [...TENSOR_NAMES, ...Object.values(TILE_NODE_NAMES), GRAPH_NAME, MODEL_FILE, '', '*', '/', '*/*', '/*/', '?', '??', '???/', '*\\/', 'a\u2028b'];

    it('commentText: one comment of printable ASCII, no terminator, no nesting, no trigraph', () => {
      for (const raw of all) {
        for (const max of [8, 40, 80]) {
          const text = commentText(raw, max);
          assert.ok(text.length <= max, `${JSON.stringify(raw)} -> ${text.length} chars > ${max}`);
          // Also several in one comment, as codegen writes them.
          for (const c of [`/* ${text} */\n`, `/* a: ${text} @1, ${text} -> ${text} */\n`]) {
            const lexed = assertSafeC(JSON.stringify(raw), c);
            assert.equal(lexed.comments.length, 1, `${JSON.stringify(raw)} -> ${c}`);
            assert.equal(lexed.code.trim(), '', `${JSON.stringify(raw)} -> ${c}`);
          }
        }
      }
      assert.equal(commentText('/stem/stem.0/Conv_output_0'), '/stem/stem.0/Conv_output_0', 'ordinary names stay readable');
      assert.equal(commentText('café'), 'cafe');
    });

    it('cStringLiteral: one string literal of printable ASCII that JSON.parse reads too', () => {
      for (const raw of all) {
        const lit = cStringLiteral(raw);
        const lexed = assertSafeC(JSON.stringify(raw), `#define X ${lit}\n`);
        assert.equal(lexed.strings.length, 1);
        assert.equal(lexed.code, '#define X ""\n');
        assert.equal(typeof JSON.parse(lit), 'string');
      }
    });

    it('createNamer: valid, unreserved, distinct identifiers, also with the suffixes codegen appends', () => {
      const namer = createNamer();
      const raws = [...all, 'Conv-A', 'conv a', 'CONV_A', '中文', '😀', 'x', 'x_t0', 'x_t12', 'tt', 'tt_arena', 'TT', 'm_int', 'int', 'auto', '_Bool', 'conv', 'conv_2', 'conv', 'conv_2_2'];
      const bases = raws.map((r) => namer(r));
      assert.equal(new Set(bases).size, bases.length, `duplicate base: ${bases.join(' ')}`);
      // Suffixes of model.ts, ops/ and train/: <base>_<suffix>.
      const suffixes = ['w', 'b', 'mult', 'shift', 'p', 't0_p', 't1_p', 't2_p', 't12_p', 'wt', 'slot', 'sel', 'wscale', 'gp', 'up', 'wmaster', 'bmaster', 'bp', 'sp'];
      const seen = new Map<string, string>();
      for (const b of bases) {
        assert.match(b, /^[a-z][a-z0-9_]*$/, `invalid identifier ${b}`);
        assert.ok(!b.includes('__') && !b.endsWith('_'), `reserved-looking identifier ${b}`);
        for (const s of suffixes) {
          const id = `${b}_${s}`;
          assert.ok(!id.startsWith('tt_'), `${id} is in the runtime's tt_ namespace`);
          assert.ok(id.length <= 63, `${id} is longer than 63 characters`);
          assert.ok(!seen.has(id), `${id} is both ${seen.get(id)} and ${b} + _${s}`);
          seen.set(id, `${b} + _${s}`);
        }
      }
    });
  });

  describe('gen + build + run', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-hostile-'));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));
    // Deep enough that '../../../etc/x' from an output folder still lands inside tmp.
    const work = path.join(tmp, 'w', 'a', 'b');
    const outs = {
      hostileFull: path.join(work, 'hostile-full'), origFull: path.join(work, 'orig-full'),
      hostileNone: path.join(work, 'hostile-none'), origNone: path.join(work, 'orig-none'),
      hostileTiled: path.join(work, 'hostile-tiled'), origTiled: path.join(work, 'orig-tiled'),
    };
    const model = path.join(tmp, MODEL_DIR, MODEL_FILE);
    const tiledModel = path.join(tmp, MODEL_DIR, 'tiled.onnx');
    const origModel = path.join(tmp, 'orig.onnx');
    let renames = { tensors: new Map<string, string>(), nodes: new Map<string, string>() };
    const runs: Record<string, Runs> = {};
    const reports: Record<string, Record<string, unknown>> = {};
    let listedBefore: string[] = [];
    let outside: string[] = [];
    let absBefore: boolean[] = [];
    const absPaths = ['/etc/x', '/abs/path', '/abs', path.resolve('PWNED'), path.resolve(ROOT, 'PWNED')];
    let wallMs = 0;

    before(async () => {
      const t0 = Date.now();
      renames = hostileModel(model, NODE_NAMES, GRAPH_NAME);
      hostileModel(tiledModel, TILE_NODE_NAMES, '');
      fs.copyFileSync(FIXTURE, origModel);
      const data = path.join(tmp, 'data');
      writeNpyDataset(data, [3, 16, 16], 24, 8, 5);
      fs.mkdirSync(work, { recursive: true });
      listedBefore = listTree(tmp, Object.values(outs));
      absBefore = absPaths.map((p) => fs.existsSync(p));
      const common: Omit<GenOptions, 'out' | 'scheme'> = { data, board: 'stm32f746', evalSamples: 8, calibSamples: 16, trainSamples: 16, seed: 1 };
      const jobs: [keyof typeof outs, string, string, GenOptions['tiling']][] = [
        ['hostileFull', model, 'full', 'auto'], ['origFull', origModel, 'full', 'auto'],
        ['hostileNone', model, 'none', 'auto'], ['origNone', origModel, 'none', 'auto'],
        ['hostileTiled', tiledModel, 'none', 'always'], ['origTiled', origModel, 'none', 'always'],
      ];
      for (const [key, m, scheme, tiling] of jobs) {
        const res = await gen({ ...common, model: m, scheme, tiling, out: outs[key] });
        reports[key] = res.report;
        runs[key] = await buildAndRun(outs[key]);
      }
      outside = listTree(tmp, Object.values(outs));
      wallMs = Date.now() - t0;
    });

    after(() => console.log(`      hostile names: 6 projects generated, built twice and run twice in ${wallMs} ms`));

    it('builds with -Werror, runs, and computes exactly what the original names compute', () => {
      assert.ok(reports.hostileTiled.tiling, 'the tiled variant is not tiled');
      assert.equal((reports.hostileFull.scheme as { updated: unknown[] }).updated.length, 4, 'scheme full trains every layer');
      for (const v of ['Full', 'None', 'Tiled']) {
        const h = runs[`hostile${v}`];
        const o = runs[`orig${v}`];
        for (const r of [h.emu, h.host, o.emu, o.host]) assert.equal(r.exit_code, 0, `${v}: ${JSON.stringify(r)}\n${h.lines.join('\n')}`);
        for (const k of ['emu', 'host'] as const) {
          assert.equal(h[k].logits_crc32, o[k].logits_crc32, `${v} ${k}: logits differ from the original names'`);
          assert.equal(h[k].params_crc32, o[k].params_crc32, `${v} ${k}: parameters differ from the original names'`);
          assert.equal(h[k].train_steps, o[k].train_steps);
        }
        assert.equal(h.emu.logits_crc32, h.host.logits_crc32, `${v}: QEMU and host differ`);
      }
      assert.ok(runs.hostileFull.emu.train_steps > 0 && runs.hostileFull.emu.params_crc32 !== '00000000');
      // The start line printed the sanitized model name as a valid JSON string.
      const start = runs.hostileFull.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event: string; model?: string }).find((e) => e.event === 'start');
      assert.ok(start && typeof start.model === 'string' && /^[\x20-\x7e]+$/.test(start.model), `start event: ${JSON.stringify(start)}`);
    });

    it('keeps every name out of the C code: comments and literals only, same shape as the original project', () => {
      for (const v of ['Full', 'None', 'Tiled']) {
        const h = outs[`hostile${v}` as keyof typeof outs];
        const o = outs[`orig${v}` as keyof typeof outs];
        for (const f of C_FILES) {
          const text = fs.readFileSync(path.join(h, f), 'utf8');
          const orig = fs.readFileSync(path.join(o, f), 'utf8');
          const lexed = assertSafeC(`${v} ${f}`, text);
          const ref = lexC(orig);
          assert.deepEqual(directives(lexed.code), directives(ref.code), `${v} ${f}: preprocessor lines differ from the original's`);
          assert.equal(text.split('\n').length, orig.split('\n').length, `${v} ${f}: line count differs from the original's`);
          assert.equal(lexed.comments.length, ref.comments.length, `${v} ${f}: comment count differs`);
          assert.equal(lexed.strings.length, ref.strings.length, `${v} ${f}: string count differs`);
        }
        for (const f of ['Makefile', 'board/linker.ld']) {
          const text = fs.readFileSync(path.join(h, f), 'utf8');
          for (const m of MARKERS) assert.ok(!text.includes(m), `${v} ${f} holds '${m}'`);
          assert.equal(text, fs.readFileSync(path.join(o, f), 'utf8'), `${v} ${f} differs from the original's`);
        }
      }
      // Some hostile text did reach comments (sanitized), so the scan above was not vacuous.
      const modelC = fs.readFileSync(path.join(outs.hostileFull, 'model/model.c'), 'utf8');
      assert.ok(lexC(modelC).comments.some((c) => c.includes('EVIL')), 'no name in any comment');
    });

    it('writes only inside the output folders, and the same files as the original', () => {
      assert.deepEqual(outside, listedBefore, 'files appeared or vanished outside the output folders');
      assert.deepEqual(absPaths.map((p) => fs.existsSync(p)), absBefore, 'a hostile absolute path was created');
      const rel = (d: string): string[] => listTree(d, []).map((p) => path.relative(d, p)).filter((p) => !p.startsWith('build'));
      assert.deepEqual(rel(outs.hostileFull), rel(outs.origFull));
      assert.deepEqual(rel(outs.hostileTiled), rel(outs.origTiled));
    });

    it('report.json keeps the hostile names verbatim (JSON-escaped)', () => {
      type R = { model: { file: string; input: { name: string }; output: { name: string } }; layers: { name: string }[]; quantization: { tensor: string }[]; memory: { buffers: { tensor: string }[] } };
      const raw = fs.readFileSync(path.join(outs.hostileFull, 'report.json'), 'utf8');
      const h = JSON.parse(raw) as R;
      const o = JSON.parse(fs.readFileSync(path.join(outs.origFull, 'report.json'), 'utf8')) as R;
      const rt = (t: string): string => renames.tensors.get(t) ?? assert.fail(`no rename for tensor ${t}`);
      const rn = (n: string): string => renames.nodes.get(n) ?? assert.fail(`no rename for node ${n}`);
      assert.equal(h.model.file, model);
      assert.equal(h.model.input.name, rt(o.model.input.name));
      assert.equal(h.model.output.name, rt(o.model.output.name));
      assert.deepEqual(h.quantization.map((q) => q.tensor), o.quantization.map((q) => rt(q.tensor)));
      // Training buffers are '<kind>:<tensor>' (grad:, mask:, ...).
      const rb = (b: string): string => {
        const m = /^(im2col:|[a-z]+:)?([^]*)$/.exec(b) as RegExpExecArray;
        return (m[1] ?? '') + (m[1] === 'save:' || m[1] === 'scratch:' || m[1] === 'im2col:' ? rn(m[2]) : rt(m[2]));
      };
      assert.deepEqual(h.memory.buffers.map((b) => b.tensor), o.memory.buffers.map((b) => rb(b.tensor)));
      assert.deepEqual(h.layers.map((l) => l.name), o.layers.map((l) => rn(l.name)));
      for (const q of h.quantization) assert.ok(raw.includes(JSON.stringify(q.tensor)), `${JSON.stringify(q.tensor)} is not in report.json verbatim`);
      for (const l of h.layers) assert.ok(raw.includes(JSON.stringify(l.name)), `${JSON.stringify(l.name)} is not in report.json verbatim`);
      assert.ok(h.quantization.some((q) => q.tensor.length === 5000) || h.layers.some((l) => l.name.length === 5000), 'no 5000-character name survived');
    });

    // Name clashes outside codegen: both compute something else than the original, silently
    // (exit 0, other CRCs). Pending until the importer / training IR keep names apart.
    /** The fixture with a few names changed, generated, built for the host and run. */
    async function renamedRun(tag: string, scheme: string, tensors: Record<string, string>, nodes: Record<string, string>): Promise<EmulateSummary> {
      const m = onnx.ModelProto.decode(fs.readFileSync(FIXTURE));
      const g = m.graph as onnx.GraphProto;
      const r = (t: string): string => tensors[t] ?? t;
      for (const n of g.node) {
        n.input = (n.input ?? []).map(r);
        n.output = (n.output ?? []).map(r);
        if ((n.name ?? '') in nodes) n.name = nodes[n.name ?? ''];
      }
      for (const v of [...g.input, ...g.output, ...g.initializer]) v.name = r(v.name ?? '');
      const file = path.join(tmp, `${tag}.onnx`);
      fs.writeFileSync(file, onnx.ModelProto.encode(m).finish());
      const out = path.join(work, tag);
      await gen({ model: file, data: path.join(tmp, 'data'), board: 'stm32f746', scheme, out, evalSamples: 8, calibSamples: 16, trainSamples: 16, seed: 1 });
      buildProject(out, 'host');
      return emulateProject(out, { host: true });
    }

    it('an unnamed node whose default name ("Conv_0") another node has', async () => {
      // Both convs become "Conv_0": codegen gives them one parameter struct.
      const r = await renamedRun('default-name-clash', 'none', {}, { '/stem/stem.0/Conv': '', '/dw/dw.0/Conv': 'Conv_0' });
      assert.equal(r.logits_crc32, runs.origNone.host.logits_crc32);
    });

    it('a tensor named like a training buffer, "grad:<tensor>"', async () => {
      // grad:logits is also the loss gradient's buffer: the plan shares one slot between them.
      const r = await renamedRun('grad-name-clash', 'full', { '/Flatten_output_0': 'grad:logits' }, {});
      assert.equal(r.logits_crc32, runs.origFull.host.logits_crc32);
      assert.equal(r.params_crc32, runs.origFull.host.params_crc32);
    });
  });
});
