// `flash`: the command each probe gets, running it (a stub tool on a private PATH), printing
// it when the tool is missing, and refusing projects with nothing right to flash.
import { strict as assert } from 'assert';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildProject } from '../src/pipeline/run';
import { gen } from '../src/pipeline/gen';
import { FLASH_EXIT, flashCommand, planFlash } from '../src/pipeline/flash';
import { writeNpyDataset } from './helpers/npy';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'tinytrain.js');

/** The CLI with a given PATH; node itself by absolute path, so an empty PATH works. */
function tt(args: string[], PATH: string): { code: number; stdout: string; stderr: string } {
  const r = cp.spawnSync(process.execPath, [BIN, ...args], { cwd: os.tmpdir(), encoding: 'utf8', timeout: 300_000, env: { ...process.env, PATH } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function assertOneLineError(r: { code: number; stdout: string; stderr: string }, ...mentions: RegExp[]): void {
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^tinytrain: error: /);
  for (const m of mentions) assert.match(lines[0], m);
}

/** A project as gen and `build --target board` leave it, as far as flash looks. */
function fakeProject(dir: string, files: { bin?: boolean; flags?: string } = {}): void {
  fs.mkdirSync(path.join(dir, 'build'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'report.json'), JSON.stringify({ board: { id: 'stm32f746' }, options: { board: 'stm32f746' } }));
  if (files.bin !== false) fs.writeFileSync(path.join(dir, 'build', 'firmware.bin'), Buffer.alloc(256, 0xa5));
  if (files.flags !== undefined) fs.writeFileSync(path.join(dir, 'build', 'firmware.flags'), files.flags);
}

/** A stub tool that records its arguments (one per line) and working directory. */
function stubTool(binDir: string, name: string, record: string, exitCode: number): void {
  fs.mkdirSync(binDir, { recursive: true });
  const file = path.join(binDir, name);
  fs.writeFileSync(file, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > '${record}'\npwd > '${record}.cwd'\necho "stub ${name} flashing"\nexit ${exitCode}\n`);
  fs.chmodSync(file, 0o755);
}

describe('flash', function () {
  this.timeout(600_000);
  let tmp = '';
  let proj = '';
  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tt-flash-')));
    proj = path.join(tmp, 'proj');
    fakeProject(proj);
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('runs st-flash from PATH with the board\'s flash address and returns its exit code', () => {
    const bin = path.join(tmp, 'bin');
    const record = path.join(tmp, 'args');
    stubTool(bin, 'st-flash', record, 0);
    const r = tt(['flash', proj, '--probe', 'stlink'], bin);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fs.readFileSync(record, 'utf8').trim().split('\n'), ['--reset', 'write', 'build/firmware.bin', '0x08000000']);
    assert.equal(fs.readFileSync(`${record}.cwd`, 'utf8').trim(), proj);
    assert.match(r.stdout, /stub st-flash flashing/, 'the tool\'s output is streamed');

    // The tool's failure is the command's exit code.
    stubTool(bin, 'st-flash', record, 7);
    const f = tt(['flash', proj, '--probe', 'stlink'], bin);
    assert.equal(f.code, 7);
    assert.match(f.stderr, /st-flash exited with code 7/);
  });

  it('--dry-run prints the command and runs nothing, even with the tool installed', () => {
    const bin = path.join(tmp, 'bin');
    const record = path.join(tmp, 'args');
    stubTool(bin, 'st-flash', record, 0);
    const r = tt(['flash', proj, '--probe', 'stlink', '--dry-run'], bin);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `cd ${proj} && st-flash --reset write build/firmware.bin 0x08000000\n`);
    assert.ok(!fs.existsSync(record), 'the stub ran');
  });

  it('without the tool on PATH: prints the exact command and exits 3', () => {
    const want: Record<string, string> = {
      stlink: 'st-flash --reset write build/firmware.bin 0x08000000',
      openocd: "openocd -f interface/stlink.cfg -f target/stm32f7x.cfg -c 'program build/firmware.bin 0x08000000 verify reset exit'",
      pyocd: 'pyocd flash -t stm32f746zgtx --base-address 0x08000000 build/firmware.bin',
    };
    const tool: Record<string, string> = { stlink: 'st-flash', openocd: 'openocd', pyocd: 'pyocd' };
    for (const probe of Object.keys(want)) {
      const r = tt(['flash', proj, '--probe', probe], '');
      assert.equal(r.code, FLASH_EXIT.toolMissing, r.stderr);
      assert.equal(FLASH_EXIT.toolMissing, 3);
      assert.equal(r.stderr, `tinytrain: ${tool[probe]} is not installed; to flash, run:\n`);
      assert.equal(r.stdout, `cd ${proj} && ${want[probe]}\n`);
    }
    const j = tt(['flash', proj, '--probe', 'stlink', '--json'], '');
    assert.equal(j.code, 3);
    const lines = j.stdout.trim().split('\n');
    const s = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
    assert.deepEqual(s.command, ['st-flash', '--reset', 'write', 'build/firmware.bin', '0x08000000']);
    assert.equal(s.cwd, proj);
    assert.equal(s.installed, false);
    assert.equal(s.ran, false);
    assert.equal(s.exit_code, 3);
    // --dry-run with the tool missing is still a success.
    assert.equal(tt(['flash', proj, '--probe', 'stlink', '--dry-run'], '').code, 0);
  });

  it('the API: flashCommand returns the command, cwd, ran and exit code', () => {
    const r = flashCommand(proj, 'stlink', { pathEnv: '' });
    assert.deepEqual(r.command, ['st-flash', '--reset', 'write', 'build/firmware.bin', '0x08000000']);
    assert.equal(r.cwd, proj);
    assert.equal(r.ran, false);
    assert.equal(r.exitCode, 3);
    assert.equal(planFlash(proj, 'pyocd', { probeTarget: 'stm32f746zg' }).command[3], 'stm32f746zg');
  });

  it('missing build output: one line telling the user to build for the board, exit 1', () => {
    fs.rmSync(path.join(proj, 'build'), { recursive: true });
    for (const probe of ['stlink', 'openocd', 'pyocd']) {
      assertOneLineError(tt(['flash', proj, '--probe', probe], ''), /no firmware to flash/, /tinytrain build .* --target board/);
    }
    assertOneLineError(tt(['flash', path.join(tmp, 'nowhere'), '--probe', 'stlink'], ''), /not a tinytrain project/);
  });

  it('refuses an image built for the emulator', () => {
    fakeProject(proj, { flags: 'arm-none-eabi-gcc -DTT_TARGET_EMU=1 -Wl,--defsym=TT_TARGET_EMU=1' });
    assertOneLineError(tt(['flash', proj, '--probe', 'stlink'], ''), /emu/, /--target board/);
  });

  it('a real project: refuses the emulator build, flashes the board build\'s ELF', async function () {
    if (cp.spawnSync('arm-none-eabi-gcc', ['--version']).error) this.skip();
    const data = path.join(tmp, 'data');
    writeNpyDataset(data, [3, 16, 16], 16, 4, 5);
    const out = path.join(tmp, 'real');
    await gen({ model: path.join(ROOT, 'test', 'fixtures', 'models', 'dw_separable_residual.onnx'), data, board: 'stm32f746', scheme: 'none', out, evalSamples: 4, calibSamples: 16 });
    buildProject(out, 'emu');
    assertOneLineError(tt(['flash', out, '--probe', 'openocd'], ''), /linked for the emulator/, /--target board/);
    assertOneLineError(tt(['flash', out, '--probe', 'stlink'], ''), /linked for the emulator/, /--target board/);
    buildProject(out, 'board');
    assert.deepEqual(planFlash(out, 'openocd').command, ['openocd', '-f', 'interface/stlink.cfg', '-f', 'target/stm32f7x.cfg', '-c', 'program build/firmware.elf verify reset exit']);
    assert.deepEqual(planFlash(out, 'pyocd').command, ['pyocd', 'flash', '-t', 'stm32f746zgtx', 'build/firmware.elf']);
    assert.deepEqual(planFlash(out, 'stlink').command, ['st-flash', '--reset', 'write', 'build/firmware.bin', '0x08000000']);
    const r = tt(['flash', out, '--probe', 'openocd', '--dry-run'], '');
    assert.equal(r.code, 0, r.stderr);
  });
});
