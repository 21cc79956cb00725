// Every failure reaches the user as one line; stack traces only with TINYTRAIN_DEBUG=1.
import { TinytrainError } from '../errors';

export const EXIT = { ok: 0, error: 1, usage: 2, internal: 70 } as const;

export function reportError(e: unknown): number {
  const debug = process.env.TINYTRAIN_DEBUG === '1';
  if (e instanceof TinytrainError) {
    process.stderr.write(`tinytrain: error: ${oneLine(e.message)}\n`);
    if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
    return EXIT.error;
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`tinytrain: internal error: ${oneLine(msg)} (rerun with TINYTRAIN_DEBUG=1 for details)\n`);
  if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  return EXIT.internal;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
