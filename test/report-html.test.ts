// report.html (issue 4): renderReportHtml on hand-made reports (escaping of hostile names,
// one rect per buffer at the right place, determinism, size at a few thousand buffers), then
// the pipeline: `gen` on a fixture model whose ONNX names are hostile writes report.html, and
// Debian's headless Chromium renders it. The oracle for "it renders" is Chromium itself: the
// DOM it parsed (--dump-dom) and the pixels it painted (--screenshot, decoded here).
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { countColors, decodePng, findChromium, runChromium } from './helpers/chromium';
import { onnx } from 'onnx-proto';
import { esc, fmtBytes, renderReportHtml } from '../src/codegen/report-html';
import { gen } from '../src/pipeline/gen';
import { writeNpyDataset } from './helpers/npy';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'models', 'dw_separable_residual.onnx');
const EVIL = '<script>alert(1)</script>"&\'';

/** The <rect> start tags inside <g id="...">. */
function groupRects(html: string, id: string): string[] {
  const start = html.indexOf(`<g id="${id}">`);
  assert.ok(start >= 0, `no <g id="${id}">`);
  const end = html.indexOf('</g>', start);
  return html.slice(start, end).match(/<rect\b[^>]*>/g) ?? [];
}

const attr = (tag: string, name: string): string => {
  const m = tag.match(new RegExp(`\\s${name}="([^"]*)"`));
  assert.ok(m, `${name} missing in ${tag}`);
  return m[1];
};

/** No scripts, no external resources, no stray '&' outside an entity. */
function assertSelfContainedAndEscaped(html: string): void {
  assert.ok(!/<script/i.test(html), 'a <script> tag got through');
  assert.ok(!html.includes('<b>x</b>') && !html.includes('<i>"'), 'markup from a name got through');
  assert.ok(!/https?:|\b(?:src|href)=|url\(|@import/i.test(html), 'references an external resource');
  const bad = html.match(/&(?!(?:amp|lt|gt|quot|#39);)[^\s]{0,12}/);
  assert.equal(bad, null, `unescaped '&': ${bad?.[0]}`);
}

function sampleReport(nBuffers = 4, nSteps = 6): Record<string, unknown> {
  const kinds = ['input', 'activation', 'output', 'saved', 'mask', 'grad', 'scratch', 'weird"kind'];
  const buffers = Array.from({ length: nBuffers }, (_, i) => ({
    tensor: i === 0 ? EVIL : i === 1 ? 'a"b' : i === 2 ? 'x&y' : `t${i}`,
    kind: kinds[i % kinds.length],
    bytes: 64 + 16 * (i % 7),
    offset: 128 * (i % 50),
    first_step: i === 0 ? -1 : i % nSteps,
    last_step: Math.min(nSteps - 1, (i % nSteps) + 2),
  }));
  return {
    tool: { name: 'tinytrain', version: '0.1.0' },
    board: { id: 'stm32f746', name: 'STM32 <F746> & co', cpu: 'cortex-m7', flash_bytes: 1048576, sram_bytes: 327680 },
    model: { file: `/m/${EVIL}.onnx`, name: `net ${EVIL}`, input: { name: 'in"put', shape: [1, 3, 8, 8] }, output: { name: 'out<', shape: [1, 5] }, ops: 7, macs: 1234 },
    scheme: {
      name: 'full', source: 'preset', notes: [`note ${EVIL}`], rounding: 'stochastic',
      updated: [
        { layer: `conv ${EVIL}`, index: 0, kind: 'conv', bias: true, weight_ratio: 0.25, channels: [0, 3] },
        { layer: 'fc', index: 1, kind: 'gemm', bias: false, weight_ratio: 0, channels: [] },
      ],
    },
    training: { steps: 10, eval_every: 0, lr: 0.003, schedule: 'constant', seed: 1 },
    train_steps: Array.from({ length: nSteps }, (_, i) => (i === 1 ? `forward ${EVIL}` : `step<${i}>`)),
    layers: [],
    memory: {
      arena_bytes: 6656, lower_bound_bytes: 6400, planner_strategy: 'size-desc', peak_step: 2, live_at_peak: [EVIL, 'a"b'],
      weights_flash_bytes: 4000, trainable_sram_bytes: 900, trainable_param_bytes: 700, master_copy_bytes: 200,
      stack_reserved_bytes: 4096, sram_total_bytes: 13000, flash_bytes: 20000, source: 'plan', buffers,
    },
    notes: [`n ${EVIL}`],
  };
}

describe('report.html', function () {
  describe('renderReportHtml', () => {
    it('escapes hostile names everywhere they appear', () => {
      const html = renderReportHtml(sampleReport());
      assertSelfContainedAndEscaped(html);
      const evil = esc(EVIL);
      assert.equal(evil, '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;');
      for (const s of [`<title>${evil}\n`, 'a&quot;b', 'x&amp;y', `conv ${evil}</td>`, `forward ${evil}</li>`, `net ${evil}`,
        `note ${evil}</li>`, `n ${evil}</li>`, 'STM32 &lt;F746&gt; &amp; co', 'step&lt;0&gt;', 'in&quot;put']) {
        assert.ok(html.includes(s), `missing escaped text ${JSON.stringify(s)}`);
      }
      assert.ok(!html.includes('a"b') && !html.includes('x&y'));
      assert.equal(esc('\u0000\u0007ok\n'), '\ufffd\ufffdok\n');
    });

    it('draws one rect per buffer, from first_step to last_step+1 and offset to offset+bytes', () => {
      const report = sampleReport(9, 6);
      const buffers = (report.memory as { buffers: { kind: string; bytes: number; offset: number; first_step: number; last_step: number }[] }).buffers;
      const html = renderReportHtml(report);
      const rects = groupRects(html, 'buffers');
      assert.equal(rects.length, buffers.length);
      const yMax = 6656; // the arena is the highest extent
      rects.forEach((r, i) => {
        const b = buffers[i];
        assert.equal(+attr(r, 'x'), b.first_step);
        assert.equal(+attr(r, 'width'), b.last_step + 1 - b.first_step);
        assert.equal(+attr(r, 'y'), yMax - b.offset - b.bytes);
        assert.equal(+attr(r, 'height'), b.bytes);
        const k = ['input', 'activation', 'output', 'saved', 'mask', 'grad', 'scratch'].indexOf(b.kind);
        assert.equal(attr(r, 'class'), `k${k < 0 ? 7 : k}`);
      });
      // The plot's data window: steps -1..5 (7 columns, one hover column each), bytes 0..arena.
      assert.match(html, /<svg id="plot"[^>]* viewBox="-1 0 7 6656"/);
      assert.equal(groupRects(html, 'steps').length, 7);
      assert.match(html, /<rect class="peak" x="2" /);
      assert.match(html, /<line class="lower"[^>]* y1="256"/);
      assert.match(html, /<line class="arena"[^>]* y1="0"/);
      for (const k of ['input', 'activation', 'output', 'saved', 'mask', 'grad', 'scratch', 'other']) assert.ok(html.includes(`<b>${k}</b>`), `legend lacks ${k}`);
    });

    it('shows the update plan and the totals against the board', () => {
      const html = renderReportHtml(sampleReport());
      assert.ok(html.includes(`<td class="name">conv ${esc(EVIL)}</td><td>conv</td><td>yes</td><td class="num">25 %</td><td class="num" title="channels 0, 3">2</td>`));
      assert.ok(html.includes('<td class="name">fc</td><td>gemm</td><td>no</td><td class="num">0 (frozen)</td><td class="num" title="no weight channels">0</td>'));
      assert.ok(html.includes(`<th class="num">${fmtBytes(13000)}</th>`));
      assert.ok(html.includes(`${fmtBytes(13000)}: 3.97 % of the board`));
      assert.ok(html.includes(`${fmtBytes(20000)}: 1.91 % of the board`));
      const over = renderReportHtml({ ...sampleReport(), board: { id: 'tiny', sram_bytes: 10000, flash_bytes: 1 << 20 } });
      assert.ok(over.includes('class="over">13,000 B (12.7 KiB): exceeds the board by 3,000 B (2.9 KiB)'));
      assert.equal(fmtBytes(1023), '1,023 B');
      assert.equal(fmtBytes(1536 * 1024), '1,572,864 B (1.5 MiB)');
    });

    it('is deterministic and survives a partial report', () => {
      const r = sampleReport(50, 20);
      const a = renderReportHtml(r);
      assert.equal(renderReportHtml(JSON.parse(JSON.stringify(r))), a);
      assert.equal(renderReportHtml(r), a);
      const empty = renderReportHtml({});
      assert.match(empty, /<svg id="plot"/);
      assert.equal(groupRects(empty, 'buffers').length, 0);
      assert.ok(empty.includes('No layer is updated'));
    });

    it('stays compact at a few thousand buffers', () => {
      const r = sampleReport(3000, 2000);
      const t0 = Date.now();
      const html = renderReportHtml(r);
      const ms = Date.now() - t0;
      const rects = groupRects(html, 'buffers');
      assert.equal(rects.length, 3000);
      for (const rect of rects) assert.match(rect, /^<rect class="k\d" x="-?\d+" y="\d+" width="\d+" height="\d+">$/);
      assert.ok(html.length < 1_200_000, `${html.length} bytes`);
      assert.ok(ms < 3000, `${ms} ms`);
    });
  });

  describe('gen + headless Chromium', function () {
    this.timeout(600_000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-report-html-'));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));
    let out = '';
    let report: { memory: { buffers: unknown[] } } | undefined;

    before(async () => {
      // The fixture with hostile names: a tensor, a trained layer and the file name itself.
      const m = onnx.ModelProto.decode(fs.readFileSync(FIXTURE));
      const g = m.graph as onnx.GraphProto;
      // The stem output: a buffer of its own (the add after it writes over it in place).
      const ren = (xs: string[] | null | undefined): string[] => (xs ?? []).map((x) => (x === '/stem/stem.2/Clip_output_0' ? EVIL : x));
      let renamed = 0;
      for (const n of g.node) {
        n.input = ren(n.input);
        n.output = ren(n.output);
        if (n.name === '/pw/pw.0/Conv') { n.name = 'pw "&" <b>x</b>'; renamed++; }
      }
      assert.equal(renamed, 1, 'fixture changed: no node /pw/pw.0/Conv');
      const model = path.join(tmp, 'dw <i>"&\'.onnx');
      fs.writeFileSync(model, onnx.ModelProto.encode(m).finish());
      const data = path.join(tmp, 'data');
      writeNpyDataset(data, [3, 16, 16], 24, 8, 5);
      const opts = { model, data, board: 'stm32f746', scheme: 'full', evalSamples: 8, calibSamples: 16, trainSamples: 16 };
      out = path.join(tmp, 'out');
      const res = await gen({ ...opts, out });
      report = res.report as typeof report;
      await gen({ ...opts, out: path.join(tmp, 'out-again') });
    });

    it('writes report.html beside report.json, escaped, one rect per buffer, reproducibly', () => {
      const file = path.join(out, 'report.html');
      assert.ok(fs.existsSync(file), 'no report.html');
      const html = fs.readFileSync(file, 'utf8');
      assertSelfContainedAndEscaped(html);
      const json = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
      assert.deepEqual(json.memory.buffers, report?.memory.buffers);
      assert.ok(json.memory.buffers.some((b: { tensor: string }) => b.tensor === EVIL), 'the hostile tensor is not a buffer');
      assert.equal(html, renderReportHtml(json), 'report.html is not renderReportHtml(report.json)');
      assert.equal(groupRects(html, 'buffers').length, json.memory.buffers.length);
      assert.ok(groupRects(html, 'steps').length >= json.train_steps.length, 'a hover column per step');
      assert.ok(html.includes(`<title>${esc(EVIL)}\n`), 'hostile tensor name not escaped in its tooltip');
      assert.ok(html.includes('pw &quot;&amp;&quot; &lt;b&gt;x&lt;/b&gt;</td>'), 'hostile layer name not escaped in the update plan');
      assert.ok(html.includes('dw &lt;i&gt;&quot;&amp;&#39;'), 'hostile model name not escaped');
      assert.equal(json.scheme.updated.length, 4);
      assert.equal((html.match(/<tr><td class="num">/g) ?? []).length, 4);
      assert.equal(fs.readFileSync(path.join(tmp, 'out-again', 'report.html'), 'utf8'), html, 'same model and data, different bytes');
    });

    it('renders in headless Chromium: the parsed DOM keeps the SVG, the screenshot shows the boxes', function () {
      const chromium = findChromium();
      if (!chromium) {
        assert.fail('chromium is not installed, so report.html cannot be checked in a browser: '
          + 'run `bash scripts/setup.sh --test` or `apt-get install -y --no-install-recommends chromium`');
      }
      const url = `file://${path.join(out, 'report.html').split(path.sep).map(encodeURIComponent).join('/')}`;
      const shot = path.join(tmp, 'shot.png');
      const t0 = Date.now();
      const s = runChromium(chromium, [`--screenshot=${shot}`, '--window-size=1200,900', url], path.join(tmp, 'profile-shot'));
      const shotMs = Date.now() - t0;
      assert.equal(s.status, 0, `chromium --screenshot failed (${s.status}): ${s.stderr.slice(-2000)}`);
      const t1 = Date.now();
      const d = runChromium(chromium, ['--dump-dom', url], path.join(tmp, 'profile-dom'));
      const domMs = Date.now() - t1;
      assert.equal(d.status, 0, `chromium --dump-dom failed (${d.status}): ${d.stderr.slice(-2000)}`);
      console.log(`      chromium: screenshot ${shotMs} ms, dump-dom ${domMs} ms`);

      // The DOM Chromium built: the SVG and its rects survived HTML parsing, names are text.
      const dom = d.stdout;
      const n = report?.memory.buffers.length ?? -1;
      assert.match(dom, /<svg class="timeline"/);
      assert.match(dom, /<svg id="plot"[^>]*viewBox=/);
      assert.equal(groupRects(dom, 'buffers').length, n, 'rect count in the parsed DOM');
      assert.ok(!/<script/i.test(dom) && !dom.includes('<b>x</b>'), 'a hostile name became markup');
      assert.ok(dom.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the hostile name is not in the page as text');
      assert.match(dom, /<td class="name">pw "&amp;" &lt;b&gt;x&lt;\/b&gt;<\/td>/);

      // The pixels: a 1200x900 PNG with the kinds' fill colors painted over many pixels.
      assert.ok(fs.existsSync(shot), 'no screenshot written');
      const png = fs.readFileSync(shot);
      assert.ok(png.length > 20_000, `screenshot is only ${png.length} bytes`);
      const img = decodePng(png);
      assert.deepEqual([img.width, img.height], [1200, 900]);
      const counts = countColors(img, { activation: [0x56, 0xb4, 0xe9], grad: [0xd5, 0x5e, 0x00], input: [0x00, 0x72, 0xb2] });
      for (const [k, c] of Object.entries(counts)) assert.ok(c > 1000, `only ${c} ${k}-colored pixels: the timeline did not paint`);
    });
  });
});
