// Reproducible outputs (issue 6): the same model, data and options generated into two
// different output folders (different path lengths) and built for the emulator and the
// host give byte-identical trees, build/ included: report.json records the tool version
// and the options but no time, no wall time and no output-folder path; the objects, the
// ELF, the link map and the .bin embed no absolute path of the folder.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { importOnnx } from '../src/onnx';
import { gen, GenOptions } from '../src/pipeline/gen';
import { buildProject } from '../src/pipeline/run';
import { build, readElf } from '../src/toolchain';
import { VERSION } from '../src/version';
import { writeNpyDataset } from './helpers/npy';

const ROOT = path.resolve(__dirname, '..', '..');
const MODEL = path.join(ROOT, 'models', 'default.onnx');

/** Every file under dir, relative paths sorted; directories are implied by their files. */
function listTree(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...listTree(dir, r));
    else if (e.isSymbolicLink()) out.push(`${r} -> ${fs.readlinkSync(path.join(dir, r))}`);
    else out.push(r);
  }
  return out.sort();
}

/** First differing byte of two buffers, with some context, for the failure message. */
function firstDiff(a: Buffer, b: Buffer): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const show = (x: Buffer): string => JSON.stringify(x.subarray(Math.max(0, i - 40), i + 40).toString('latin1'));
  return `sizes ${a.length} and ${b.length}, first difference at byte ${i}: ${show(a)} vs ${show(b)}`;
}

describe('reproducible outputs: two output folders, identical trees', function () {
  this.timeout(900_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-repro-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const data = path.join(tmp, 'data');
  // Different depths and lengths, so that no path-length-dependent padding hides.
  const outA = path.join(tmp, 'x');
  const outB = path.join(tmp, 'a-much-longer-folder-name', 'nested', 'deeper', 'out');
  const options = (out: string): GenOptions => ({
    model: MODEL, data, board: 'stm32f746', scheme: 'bias+last:2', out,
    evalSamples: 32, calibSamples: 64, trainSamples: 64, steps: 20,
  });

  before(async () => {
    const g = importOnnx(fs.readFileSync(MODEL));
    writeNpyDataset(data, g.input.shape.slice(1), 64, 32, g.shapes[g.output][1]);
    for (const out of [outA, outB]) {
      await gen(options(out));
      buildProject(out, 'emu');
      buildProject(out, 'host');
    }
  });

  it('report.json records the tool version and the options, but not the output folder', () => {
    const text = fs.readFileSync(path.join(outA, 'report.json'), 'utf8');
    const report = JSON.parse(text) as { tool: { name: string; version: string }; options: Record<string, unknown> };
    assert.deepEqual(report.tool, { name: 'tinytrain', version: VERSION });
    assert.equal(report.options.scheme, 'bias+last:2');
    assert.equal(report.options.steps, 20);
    assert.equal(report.options.trainSamples, 64);
    assert.ok(!('out' in report.options), 'options.out is recorded');
    assert.ok(!text.includes(outA), 'report.json holds the output folder path');
    // No key that names a time or a duration, and no date among the values.
    const timeKeys = [...text.matchAll(/"(\w+)"\s*:/g)].map((m) => m[1])
      .filter((k) => /(^|_)(time|times|date|timestamp|wall|elapsed|duration|seconds)(_|$)/i.test(k) || /_ms$|[a-z]Ms$|^(time|wall|elapsed)[A-Z_]/.test(k));
    assert.deepEqual(timeKeys, []);
    assert.doesNotMatch(text, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, 'report.json holds a date');
  });

  it('built for the emulator and the host, every file of the two trees is byte-identical', () => {
    const a = listTree(outA);
    const b = listTree(outB);
    assert.deepEqual(a, b);
    for (const f of ['report.json', 'report.html', 'Makefile', 'build/firmware.elf', 'build/firmware.map', 'build/firmware.bin', 'build/host/firmware']) {
      assert.ok(a.includes(f), `${f} missing`);
    }
    const differ: string[] = [];
    for (const f of a) {
      const x = fs.readFileSync(path.join(outA, f));
      const y = fs.readFileSync(path.join(outB, f));
      if (!x.equals(y)) differ.push(`${f}: ${firstDiff(x, y)}`);
    }
    assert.deepEqual(differ, []);
  });

  it('no generated or built file holds the absolute path of its output folder', () => {
    const found: string[] = [];
    for (const out of [outA, outB]) {
      for (const f of listTree(out)) if (fs.readFileSync(path.join(out, f)).includes(out)) found.push(path.join(out, f));
    }
    assert.deepEqual(found, []);
  });

  it('with debug information (OPT=-O2 -g) too: the objects and binaries stay identical and path-free', () => {
    for (const out of [outA, outB]) {
      build(out, { target: 'emu', makeVars: ['OPT=-O2 -g'] });
      build(out, { target: 'host', makeVars: ['OPT=-O2 -g'] });
    }
    const built = listTree(outA).filter((f) => f.startsWith('build/') && !f.endsWith('.d'));
    assert.deepEqual(built, listTree(outB).filter((f) => f.startsWith('build/') && !f.endsWith('.d')));
    const differ: string[] = [];
    const found: string[] = [];
    for (const f of built) {
      const x = fs.readFileSync(path.join(outA, f));
      const y = fs.readFileSync(path.join(outB, f));
      if (!x.equals(y)) differ.push(`${f}: ${firstDiff(x, y)}`);
      if (x.includes(outA)) found.push(path.join(outA, f));
      if (y.includes(outB)) found.push(path.join(outB, f));
    }
    assert.deepEqual(differ, []);
    assert.deepEqual(found, []);
    // The debug information is there, with the project folder recorded as '.'.
    const elf = readElf(path.join(outA, 'build', 'firmware.elf'));
    assert.ok(elf.sections.some((s) => s.name === '.debug_info'), 'no debug information: -g did not reach the compiler');
  });
});
