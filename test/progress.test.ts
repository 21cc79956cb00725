// makeProgress: plain lines when the stream is not a terminal (one per item for short loops,
// one per 10 % for long ones), one throttled line redrawn with '\r' on a terminal, nothing
// when quiet. A fake stream and a fake clock make every byte predictable.
import { strict as assert } from 'assert';
import { fmtDuration, makeProgress } from '../src/cli/progress';

function fakeStream(isTTY: boolean, columns?: number): { write(s: string): boolean; isTTY: boolean; columns?: number; out: string[] } {
  const out: string[] = [];
  return { isTTY, columns, out, write(s: string) { out.push(s); return true; } };
}

function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

describe('progress', () => {
  it('formats durations as 5s, 1m02s, 1h03m', () => {
    assert.equal(fmtDuration(0), '0s');
    assert.equal(fmtDuration(5_000), '5s');
    assert.equal(fmtDuration(59_400), '59s');
    assert.equal(fmtDuration(62_000), '1m02s');
    assert.equal(fmtDuration(80_000), '1m20s');
    assert.equal(fmtDuration(3_780_000), '1h03m');
    assert.equal(fmtDuration(NaN), '0s');
  });

  it('prints a plain line at each 10 % step when not a terminal (total 40)', () => {
    const s = fakeStream(false);
    const c = fakeClock();
    const p = makeProgress('analyze', 40, { stream: s, now: c.now });
    assert.equal(s.out.length, 0, 'nothing before the first item');
    for (let i = 0; i < 40; i++) {
      c.advance(2_000); // 2 s per item
      p.tick(`layer ${i}`);
    }
    assert.equal(s.out.length, 10);
    assert.ok(s.out.every((l) => l.endsWith('\n') && !l.includes('\r') && !l.includes('\x1b')));
    assert.equal(s.out[0], 'analyze: 4/40 (10%), ETA 1m12s layer 3\n');
    assert.equal(s.out[2], 'analyze: 12/40 (30%), ETA 56s layer 11\n');
    assert.equal(s.out[8], 'analyze: 36/40 (90%), ETA 8s layer 35\n');
    assert.equal(s.out[9], 'analyze: 40/40 (100%), ETA 0s layer 39\n');
    c.advance(2_000);
    p.done('12 cached');
    assert.equal(s.out[10], 'analyze: 40/40 in 1m22s, 12 cached\n');
    p.done();
    p.tick();
    assert.equal(s.out.length, 11, 'done is final');
  });

  it('prints one plain line per item for a short loop (total 5)', () => {
    const s = fakeStream(false);
    const c = fakeClock();
    const p = makeProgress('seeds', 5, { stream: s, now: c.now });
    for (let i = 0; i < 5; i++) {
      c.advance(20_000);
      p.tick();
    }
    p.done();
    assert.deepEqual(s.out, [
      'seeds: 1/5 (20%), ETA 1m20s\n',
      'seeds: 2/5 (40%), ETA 1m00s\n',
      'seeds: 3/5 (60%), ETA 40s\n',
      'seeds: 4/5 (80%), ETA 20s\n',
      'seeds: 5/5 (100%), ETA 0s\n',
      'seeds: 5/5 in 1m40s\n',
    ]);
  });

  it('prints nothing when quiet', () => {
    for (const tty of [false, true]) {
      const s = fakeStream(tty);
      const p = makeProgress('x', 3, { stream: s, quiet: true, now: fakeClock().now });
      p.tick('a');
      p.tick();
      p.done('over');
      assert.deepEqual(s.out, []);
    }
  });

  it('redraws one line with \\r on a terminal, at most ~10 times a second', () => {
    const s = fakeStream(true);
    const c = fakeClock();
    const p = makeProgress('analyze', 40, { stream: s, now: c.now });
    assert.deepEqual(s.out, ['\ranalyze [....................] 0/40 0% ETA --\x1b[K']);
    // 40 items in 1 s (25 ms each): about 10 redraws, not 40.
    for (let i = 0; i < 40; i++) {
      c.advance(25);
      p.tick(`item ${i}`);
    }
    const redraws = s.out.length - 1;
    assert.ok(redraws >= 8 && redraws <= 12, `${redraws} redraws`);
    assert.ok(s.out.every((l) => l.startsWith('\r') && l.endsWith('\x1b[K') && !l.includes('\n')));
    assert.equal(s.out[s.out.length - 1], '\ranalyze [####################] 40/40 100% ETA 0s item 39\x1b[K', 'the last item is always drawn');
    assert.ok(s.out.includes('\ranalyze [##..................] 4/40 10% ETA 1s item 3\x1b[K'), 'the redraw at 100 ms');
    p.done('best +7.2 points');
    assert.equal(s.out[s.out.length - 1], '\ranalyze: 40/40 in 1s, best +7.2 points\x1b[K\n');
  });

  it('shows the bar, counts, percent and ETA on a terminal and fits the line to its width', () => {
    const s = fakeStream(true, 60);
    const c = fakeClock();
    const p = makeProgress('analyze', 40, { stream: s, now: c.now });
    for (let i = 0; i < 12; i++) {
      c.advance(2_000);
      p.tick('a rather long detail that would wrap the line');
    }
    const wide = fakeStream(true);
    const c2 = fakeClock();
    const q = makeProgress('analyze', 40, { stream: wide, now: c2.now });
    for (let i = 0; i < 12; i++) {
      c2.advance(2_000);
      q.tick('conv3');
    }
    assert.equal(wide.out[wide.out.length - 1], '\ranalyze [######..............] 12/40 30% ETA 56s conv3\x1b[K');
    const last = s.out[s.out.length - 1];
    assert.equal(last.length, '\r'.length + 59 + '\x1b[K'.length, 'not cut to the terminal width');
    assert.ok(last.startsWith('\ranalyze [######..............] 12/40 30%'));
  });
});
