// Shared steps of the end-to-end tests: generate, build for the host, run, parse.
import * as cp from 'child_process';

export interface FirmwareEvent { event: string; [k: string]: unknown }

export function makeHost(out: string): void {
  const r = cp.spawnSync('make', ['-s', '-j2', 'host'], { cwd: out, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make host failed in ${out}:\n${r.stdout}\n${r.stderr}`);
}

export function runHost(out: string): { code: number; events: FirmwareEvent[]; stdout: string } {
  const r = cp.spawnSync('./build/host/firmware', ['samples.bin'], { cwd: out, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, events: parseEvents(r.stdout), stdout: r.stdout };
}

export function parseEvents(stdout: string): FirmwareEvent[] {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as FirmwareEvent);
}

export function logitsOf(events: FirmwareEvent[]): number[][] {
  return events.filter((e) => e.event === 'logits').map((e) => e.q as number[]);
}
