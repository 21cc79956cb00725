// analysis.html: renderAnalysisHtml on a hand-made AnalysisReport (hostile layer names,
// negative gains, a ratio that was not measured): escaping, determinism, one cell per
// measured (layer, option), the chosen options outlined, the frontier drawn point by point,
// no NaN; then Debian's headless Chromium renders it (--dump-dom and --screenshot), as in
// report-html.test.ts.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodePng, findChromium, runChromium } from './helpers/chromium';
import { esc, fmtBytes } from '../src/codegen/report-html';
import { chosenOptions, renderAnalysisHtml } from '../src/analyze/plot';
import { AnalysisReport, WEIGHT_RATIOS } from '../src/analyze/types';

const EVIL = '<script>alert(1)</script>"&\'';

function sampleReport(): AnalysisReport {
  const names = [`conv0 ${EVIL}`, 'dw1 a"b', 'pw2 x&y', `conv3 <b>x</b>`, 'pw4', `fc ${EVIL}`];
  const kinds = ['conv', 'depthwise', 'pointwise', 'conv', 'pointwise', 'gemm'] as const;
  const layers = names.map((layer, index) => ({
    layer, index, kind: kinds[index],
    bias: [0.004, -0.012, 0.01, 0.0, 0.021, 0.035][index],
    weights: Object.fromEntries(WEIGHT_RATIOS
      .filter((r) => !(index === 1 && r === 0.125)) // a depthwise layer with too few channels for 1/8
      .map((r, j) => [r, (index === 3 ? -0.02 : 0.01) * (j + 1) + 0.003 * index])),
  }));
  const costs = layers.flatMap((l) => (['bias', ...WEIGHT_RATIOS] as const)
    .filter((o) => o === 'bias' || l.weights[o] !== undefined)
    .map((o) => ({ layer: l.layer, index: l.index, option: o, sramBytes: 90_000 + 1000 * l.index + (o === 'bias' ? 0 : 20_000 * o), instructions: 1000 * (l.index + 1) })));
  const config = { biasLastK: 2, ratios: [0, 0, 0.25, 0, 0.5, 0] as (0 | 0.125 | 0.25 | 0.5 | 1)[] };
  return {
    model: `net ${EVIL}.onnx`,
    board: 'stm32 <f746> & co',
    budget: 131_072,
    protocol: { trainSamples: 512, heldOut: 256, steps: 200, seeds: [1, 2, 3], lr: 0.01, rounding: `stochastic ${EVIL}` },
    table: { baseline: 0.7125, layers, biasLastK: [1, 2, 3, 4].map((k) => ({ k, gain: k === 3 ? -0.004 : 0.01 * k })) },
    costs,
    reference: { noneSramBytes: 88_000, fullSramBytes: 180_000, fullGain: 0.09 },
    frontier: [
      { budget: 100_000, sramBytes: 95_000, predictedGain: 0.03, config: { biasLastK: 1, ratios: [0, 0, 0, 0, 0, 0] } },
      { budget: 110_000, sramBytes: 104_000, predictedGain: 0.05, config: { biasLastK: 2, ratios: [0, 0, 0, 0, 0.25, 0] } },
      { budget: 131_072, sramBytes: 121_000, predictedGain: 0.072, config },
      { budget: 150_000, sramBytes: 142_000, predictedGain: 0.081, config: { biasLastK: 3, ratios: [0, 0, 0.5, 0, 0.5, 0] } },
    ],
    chosen: {
      config, predictedGain: 0.072, sramBytes: 121_000, instructions: 123_456, evaluated: 729, method: 'exhaustive',
      scheme: `bias:2 ${EVIL}`, measuredGain: 0.061,
    },
    timing: { totalMs: 62_000, measureMs: 58_000, searchMs: 1_234, runs: 40, cachedRuns: 12 },
  };
}

/** The inside of <g id="...">...</g> (the groups are flat: no nested <g>). */
function group(html: string, id: string): string {
  const start = html.indexOf(`<g id="${id}">`);
  assert.ok(start >= 0, `no <g id="${id}">`);
  return html.slice(start, html.indexOf('</g>', start));
}
const tags = (html: string, id: string, tag: string): string[] => group(html, id).match(new RegExp(`<${tag}\\b[^>]*>`, 'g')) ?? [];
const attr = (tag: string, name: string): string => {
  const m = tag.match(new RegExp(`\\s${name}="([^"]*)"`));
  assert.ok(m, `${name} missing in ${tag}`);
  return m[1];
};

function assertSelfContainedAndEscaped(html: string): void {
  assert.ok(!/<script/i.test(html), 'a <script> tag got through');
  assert.ok(!html.includes('<b>x</b>'), 'markup from a name got through');
  assert.ok(!/https?:|\b(?:src|href)=|url\(|@import/i.test(html), 'references an external resource');
  const bad = html.match(/&(?!(?:amp|lt|gt|quot|#39);)[^\s]{0,12}/);
  assert.equal(bad, null, `unescaped '&': ${bad?.[0]}`);
  assert.ok(!/NaN|Infinity|undefined/.test(html), 'NaN, Infinity or undefined on the page');
}

describe('analysis.html', function () {
  describe('renderAnalysisHtml', () => {
    it('escapes hostile names and is self-contained', () => {
      const html = renderAnalysisHtml(sampleReport());
      assertSelfContainedAndEscaped(html);
      const evil = esc(EVIL);
      for (const s of [`net ${evil}.onnx`, 'stm32 &lt;f746&gt; &amp; co', 'dw1 a&quot;b', 'pw2 x&amp;y', `stochastic ${evil}`, `bias:2 ${evil}`,
        `<td class="name">fc ${evil}</td>`, 'conv3 &lt;b&gt;x&lt;/b&gt;']) {
        assert.ok(html.includes(s), `missing escaped text ${JSON.stringify(s)}`);
      }
    });

    it('shows the header facts', () => {
      const html = renderAnalysisHtml(sampleReport());
      for (const s of ['512 training samples, 256 held-out samples, 200 steps per measurement, seeds 1, 2, 3', 'lr 0.01', '71.3 %',
        '+7.2 points predicted, +6.1 points measured', fmtBytes(121_000), fmtBytes(131_072), 'exhaustive, 729 configs evaluated',
        '1m02s in all', '40 runs, 12 from the cache', '123,456 instructions']) {
        assert.ok(html.includes(s), `header lacks ${JSON.stringify(s)}`);
      }
    });

    it('is deterministic', () => {
      const r = sampleReport();
      const a = renderAnalysisHtml(r);
      assert.equal(renderAnalysisHtml(JSON.parse(JSON.stringify(r))), a);
      assert.equal(renderAnalysisHtml(sampleReport()), a);
    });

    it('draws one cell per measured (layer, option), hatches the missing one, colors losses apart', () => {
      const r = sampleReport();
      const html = renderAnalysisHtml(r);
      const cells = tags(html, 'gain-cells', 'rect');
      const measured = r.table.layers.reduce((n, l) => n + 1 + Object.keys(l.weights).length, 0);
      assert.equal(measured, 6 * 5 - 1);
      assert.equal(cells.length, measured);
      const missing = tags(html, 'gain-missing', 'rect');
      assert.deepEqual(missing.map((t) => [attr(t, 'data-layer'), attr(t, 'data-option')]), [['1', '0.125']]);
      assert.ok(tags(html, 'gain-missing', 'line').length > 0, 'the missing cell is not hatched');
      // Every cell's value is printed in points, one decimal; losses and gains use other fills.
      const values = group(html, 'gain-values').match(/>([^<]*)<\/text>/g) ?? [];
      assert.equal(values.length, measured);
      for (const v of values) assert.match(v, /^>(?:[+-]\d+\.\d|0\.0)<\/text>$/);
      assert.ok(group(html, 'gain-values').includes('>-1.2</text>'), 'layer 1 bias (-0.012) not printed as -1.2');
      const neg = cells.filter((c) => attr(c, 'class') === 'neg');
      const pos = cells.filter((c) => attr(c, 'class') === 'pos');
      assert.ok(neg.length >= 5 && pos.length >= 20, `${neg.length} neg, ${pos.length} pos`);
      const negFills = new Set(neg.map((c) => attr(c, 'fill')));
      for (const p of pos) assert.ok(!negFills.has(attr(p, 'fill')), 'a gain and a loss share a fill');
      for (const c of neg) { const f = attr(c, 'fill'); assert.ok(parseInt(f.slice(1, 3), 16) > parseInt(f.slice(5, 7), 16), `loss fill ${f} is not warm`); }
      for (const c of pos) { const f = attr(c, 'fill'); assert.ok(parseInt(f.slice(5, 7), 16) > parseInt(f.slice(1, 3), 16), `gain fill ${f} is not cool`); }
      assert.ok(cells.some((c) => attr(c, 'class') === 'zero'), 'a zero gain should be neutral');
    });

    it('outlines the chosen option of each layer from the config', () => {
      const r = sampleReport();
      const html = renderAnalysisHtml(r);
      const outlined = tags(html, 'chosen-cells', 'rect').map((t) => `${attr(t, 'data-layer')}:${attr(t, 'data-option')}`);
      // ratios [0,0,0.25,0,0.5,0], biasLastK 2 of 6 layers: layer 2 at 1/4, layer 4 at 1/2, layer 5 bias only.
      assert.deepEqual(outlined, ['2:0.25', '4:0.5', '5:bias']);
      assert.deepEqual([...chosenOptions(r.chosen.config, r.table.layers)], [[2, 0.25], [4, 0.5], [5, 'bias']]);
      // Each outline sits on its cell.
      const cells = tags(html, 'gain-cells', 'rect');
      for (const o of tags(html, 'chosen-cells', 'rect')) {
        const cell = cells.find((c) => attr(c, 'data-layer') === attr(o, 'data-layer') && attr(c, 'data-option') === attr(o, 'data-option'));
        assert.ok(cell, `no cell under ${o}`);
        assert.equal(+attr(o, 'x'), +attr(cell, 'x') + 1.5);
        assert.equal(+attr(o, 'y'), +attr(cell, 'y') + 1.5);
      }
      // The chosen rows of the cost table.
      assert.equal((html.match(/<tr class="chosen">/g) ?? []).length, 3);
      // The bias-k chart marks k = 2.
      assert.equal(tags(html, 'bias-k', 'rect').length, 4);
      assert.match(group(html, 'bias-k-chosen'), /<rect class="chosen-bar" data-k="2"/);
    });

    it('draws the frontier point by point with the budget, the chosen point and the references', () => {
      const r = sampleReport();
      const html = renderAnalysisHtml(r);
      const dots = tags(html, 'frontier', 'circle');
      assert.equal(dots.length, r.frontier.length);
      const xs = dots.map((d) => +attr(d, 'cx'));
      const ys = dots.map((d) => +attr(d, 'cy'));
      for (let i = 1; i < xs.length; i++) assert.ok(xs[i] > xs[i - 1] && ys[i] < ys[i - 1], 'more SRAM and more gain go right and up');
      const chosen = tags(html, 'chosen', 'circle');
      assert.equal(chosen.length, 1);
      // The chosen config is the third frontier point: same place.
      assert.equal(attr(chosen[0], 'cx'), attr(dots[2], 'cx'));
      assert.equal(attr(chosen[0], 'cy'), attr(dots[2], 'cy'));
      assert.match(group(html, 'chosen'), /class="measured"/);
      const budget = tags(html, 'budget', 'line');
      assert.equal(budget.length, 1);
      assert.ok(+attr(budget[0], 'x1') > xs[2] && +attr(budget[0], 'x1') < xs[3], 'budget line between the 3rd and 4th point');
      assert.ok(group(html, 'budget').includes(esc(`budget ${fmtBytes(131_072)}`)));
      assert.match(group(html, 'reference'), /data-ref="none"/);
      assert.match(group(html, 'reference'), /<path class="ref" data-ref="full"/);
      assert.match(group(html, 'frontier-line'), /<path class="step" d="M[\d.]+ [\d.]+(H[\d.]+V[\d.]+){3}"/);
      // x ticks are bytes.
      assert.ok(/KiB\)<\/text>/.test(html), 'no fmtBytes tick labels');
    });

    it('handles an empty frontier, a single point, a missing full gain and an empty table without NaN', () => {
      const base = sampleReport();
      const empty = renderAnalysisHtml({ ...base, frontier: [], reference: { noneSramBytes: 88_000, fullSramBytes: 180_000 } });
      assertSelfContainedAndEscaped(empty);
      assert.equal(tags(empty, 'frontier', 'circle').length, 0);
      assert.equal(tags(empty, 'chosen', 'circle').length, 1);
      assert.match(group(empty, 'reference'), /class="ref-line" data-ref="full"/);
      assert.ok(empty.includes('no frontier points'));

      const one = renderAnalysisHtml({ ...base, frontier: [base.frontier[2]] });
      assertSelfContainedAndEscaped(one);
      assert.equal(tags(one, 'frontier', 'circle').length, 1);
      assert.equal(group(one, 'frontier-line'), '<g id="frontier-line">');

      // Everything at one place: zero spans must not divide by zero.
      const flat = renderAnalysisHtml({
        ...base, budget: 0, reference: { noneSramBytes: 0, fullSramBytes: 0, fullGain: 0 },
        frontier: [{ budget: 0, sramBytes: 0, predictedGain: 0, config: { biasLastK: 0, ratios: [] } }],
        chosen: { ...base.chosen, sramBytes: 0, predictedGain: 0, measuredGain: undefined, config: { biasLastK: 0, ratios: [] } },
        table: { baseline: 0, layers: [], biasLastK: [] }, costs: [],
      });
      assertSelfContainedAndEscaped(flat);
      assert.equal(tags(flat, 'gain-cells', 'rect').length, 0);

      // A report read back from a damaged JSON (nulls where numbers belong) still renders.
      const damaged = JSON.parse(JSON.stringify(base).replace(/"predictedGain":0\.05/, '"predictedGain":null').replace(/"bias":0\.004/, '"bias":null'));
      const d = renderAnalysisHtml(damaged);
      assertSelfContainedAndEscaped(d);
      assert.equal(tags(d, 'gain-cells', 'rect').length, 6 * 5 - 2);
    });
  });

  describe('headless Chromium', function () {
    this.timeout(600_000);
    let tmp = '';
    before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-analysis-html-')); });
    after(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

    it('renders: the parsed DOM keeps the SVG groups, the screenshot shows the heat map', function () {
      const chromium = findChromium();
      if (!chromium) this.skip();
      const file = path.join(tmp, 'analysis <&>.html');
      fs.writeFileSync(file, renderAnalysisHtml(sampleReport()));
      const url = `file://${file.split(path.sep).map(encodeURIComponent).join('/')}`;
      const shot = path.join(tmp, 'shot.png');
      const s = runChromium(chromium as string, [`--screenshot=${shot}`, '--window-size=1200,900', url], path.join(tmp, 'profile-shot'));
      assert.equal(s.status, 0, `chromium --screenshot failed (${s.status}): ${s.stderr.slice(-2000)}`);
      const d = runChromium(chromium as string, ['--dump-dom', url], path.join(tmp, 'profile-dom'));
      assert.equal(d.status, 0, `chromium --dump-dom failed (${d.status}): ${d.stderr.slice(-2000)}`);

      const dom = d.stdout;
      for (const id of ['gain-cells', 'gain-missing', 'gain-values', 'chosen-cells', 'bias-k', 'bias-k-chosen', 'budget', 'reference', 'frontier-line', 'frontier', 'chosen']) {
        assert.ok(dom.includes(`<g id="${id}">`), `the parsed DOM lacks <g id="${id}">`);
      }
      assert.equal(tags(dom, 'gain-cells', 'rect').length, 29);
      assert.equal(tags(dom, 'frontier', 'circle').length, 4);
      assert.ok(!/<script/i.test(dom) && !dom.includes('<b>x</b>'), 'a hostile name became markup');
      assert.ok(dom.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the hostile name is not in the page as text');

      assert.ok(fs.existsSync(shot), 'no screenshot written');
      const img = decodePng(fs.readFileSync(shot));
      assert.deepEqual([img.width, img.height], [1200, 900]);
      let cool = 0, warm = 0, nonWhite = 0;
      for (let i = 0; i < img.pixels.length; i += img.channels) {
        const [r, g, b] = [img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]];
        if (r < 250 || g < 250 || b < 250) nonWhite++;
        if (b > r + 60) cool++;
        if (r > b + 60 && r > g) warm++;
      }
      assert.ok(nonWhite > 20_000, `only ${nonWhite} non-white pixels: the page is blank`);
      assert.ok(cool > 3000, `only ${cool} blue pixels: the gain cells did not paint`);
      assert.ok(warm > 1000, `only ${warm} orange pixels: the loss cells did not paint`);
    });
  });
});
