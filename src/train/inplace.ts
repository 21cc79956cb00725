// In-place forward ops: an elementwise op whose kernel reads element i of every input
// before it writes element i of its output (tt_add_s8, tt_requant_s8) may write over an
// input that nothing reads afterwards. The output then shares that input's bytes, so the
// planner sees one buffer instead of two live at once. Numerics do not change.
import { QOpKind } from '../ir/qgraph';
import { TrainGraph } from '../ir/train';
import { stepAccess } from './steps';

const ELEMENTWISE: ReadonlySet<QOpKind> = new Set<QOpKind>(['add', 'act']);

function baseOf(name: string, aliases: Record<string, string>): string {
  let n = name;
  for (let guard = 0; aliases[n] !== undefined && guard < 10000; guard++) n = aliases[n];
  return n;
}

/** The TrainGraph with each eligible forward add/activation writing over a dead input. */
export function inPlaceForward(tg: TrainGraph): TrainGraph {
  const aliases = { ...tg.aliases };
  const buffers = new Map(tg.buffers.map((b) => [b.name, b]));
  // Last step touching each base buffer (bases as they are before this pass).
  const bases = new Map<string, string>();
  const base0 = (t: string): string => {
    let b = bases.get(t);
    if (b === undefined) { b = baseOf(t, aliases); bases.set(t, b); }
    return b;
  };
  const last = new Map<string, number>();
  tg.steps.forEach((s, i) => {
    const { reads, writes } = stepAccess(s);
    for (const t of reads) last.set(base0(t), i);
    for (const t of writes) last.set(base0(t), i);
  });
  const merged: string[] = [];
  tg.steps.forEach((s, i) => {
    if (s.kind !== 'forward' || !ELEMENTWISE.has(s.node.op)) return;
    const out = buffers.get(s.node.output);
    if (!out || out.kind !== 'activation' || aliases[out.name] !== undefined) return;
    for (const t of s.node.inputs) {
      const b = baseOf(t, aliases);
      const inp = buffers.get(b);
      if (!inp || inp.kind !== 'activation' || inp.dtype !== 'int8' || inp.elements !== out.elements) continue;
      if (last.get(b) !== i) continue; // read again later (a save, a mask, backward or another op)
      aliases[out.name] = b;
      last.set(b, Math.max(i, last.get(out.name) ?? i));
      buffers.delete(out.name);
      merged.push(out.name);
      return;
    }
  });
  if (!merged.length) return tg;
  return {
    ...tg,
    aliases,
    buffers: tg.buffers.filter((b) => buffers.has(b.name)),
    notes: [...tg.notes, `in place: ${merged.length} forward op${merged.length > 1 ? 's' : ''} write over a dead input`],
  };
}
