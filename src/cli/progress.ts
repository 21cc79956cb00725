// Progress of a long loop (e.g. the analysis runs) on stderr. On a terminal: one line redrawn
// in place, at most ~10 times a second. Elsewhere (CI logs, pipes): plain lines, one per item
// for short loops, one per 10 % for long ones, so logs stay short. Pure apart from the stream
// it writes to; the clock is injectable for tests.

export interface ProgressStream { write(s: string): unknown; isTTY?: boolean; columns?: number }

export interface ProgressOptions {
  /** Where to write (default process.stderr). */
  stream?: NodeJS.WriteStream | ProgressStream;
  /** Print nothing. */
  quiet?: boolean;
  /** Milliseconds clock (default Date.now). */
  now?: () => number;
}

export interface Progress {
  /** One more item is complete; `detail` says which (shown after the counters). */
  tick(detail?: string): void;
  /** The loop is over: ends the redrawn line and prints the count and the time taken. */
  done(summary?: string): void;
}

/** Minimum time between two redraws of the terminal line. */
const REDRAW_MS = 100;
const BAR = 20;
/** Loops up to this long print one plain line per item. */
const EVERY_ITEM_MAX = 20;
const CLEAR_EOL = '\x1b[K';

/** A duration for people: 5s, 1m02s, 1h03m. */
export function fmtDuration(ms: number): string {
  const s = Number.isFinite(ms) ? Math.max(0, Math.round(ms / 1000)) : 0;
  if (s < 60) return `${s}s`;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${pad(m % 60)}m`;
}

export function makeProgress(label: string, total: number, opts: ProgressOptions = {}): Progress {
  if (opts.quiet) return { tick: () => undefined, done: () => undefined };
  const stream: ProgressStream = opts.stream ?? process.stderr;
  const now = opts.now ?? Date.now;
  const tty = stream.isTTY === true;
  const n = Number.isFinite(total) ? Math.max(0, Math.floor(total)) : 0;
  const start = now();
  let count = 0;
  let finished = false;
  let lastDraw = -Infinity;
  let lastDecile = 0;

  const fraction = (): number => (n > 0 ? Math.min(1, count / n) : 1);
  const percent = (): number => Math.floor(100 * fraction());
  const eta = (): string => {
    if (count === 0) return 'ETA --';
    const left = Math.max(0, n - count);
    return `ETA ${fmtDuration(((now() - start) / count) * left)}`;
  };
  const fit = (line: string): string => {
    const cols = typeof stream.columns === 'number' && stream.columns > 1 ? stream.columns - 1 : 0;
    return cols > 0 && line.length > cols ? line.slice(0, cols) : line;
  };
  const draw = (detail?: string): void => {
    const filled = Math.floor(BAR * fraction());
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}]`;
    const line = `${label} ${bar} ${count}/${n} ${percent()}% ${eta()}${detail ? ` ${detail}` : ''}`;
    stream.write(`\r${fit(line)}${CLEAR_EOL}`);
    lastDraw = now();
  };
  const plain = (detail?: string): void => {
    stream.write(`${label}: ${count}/${n} (${percent()}%), ${eta()}${detail ? ` ${detail}` : ''}\n`);
  };

  if (tty) draw();

  return {
    tick(detail?: string): void {
      if (finished) return;
      count++;
      if (tty) {
        if (now() - lastDraw >= REDRAW_MS || count === n) draw(detail);
      } else if (n <= EVERY_ITEM_MAX) {
        plain(detail);
      } else {
        const decile = Math.floor(10 * fraction());
        if (decile > lastDecile) {
          lastDecile = decile;
          plain(detail);
        }
      }
    },
    done(summary?: string): void {
      if (finished) return;
      finished = true;
      const line = `${label}: ${count}/${n} in ${fmtDuration(now() - start)}${summary ? `, ${summary}` : ''}`;
      stream.write(tty ? `\r${line}${CLEAR_EOL}\n` : `${line}\n`);
    },
  };
}
