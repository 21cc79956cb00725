// Static arena planning: place every buffer at an offset so that buffers whose lifetimes
// overlap never share bytes, in an arena as close as possible to the lower bound (the
// largest total of bytes live at one step).
//
//  1. Lifetimes are split into connected components of the conflict graph (buffers live
//     at a common step); each is planned on its own from offset 0 and the arena is the
//     largest of them. Zero-byte buffers take offset 0.
//  2. Each component gets nine greedy placements (search.ts: best fit in size, area,
//     lifetime, first-use and conflict-count order; a stack order, exact when lifetimes
//     nest; TFLite Micro's and TVM USMP's greedy planners) and keeps the smallest.
//  3. A component still above the lower bound is searched (component.ts): an exact search
//     for an arena of exactly the lower bound (exact.ts), a local search over the greedy
//     order (search.ts), and exact searches at sizes in between. Everything runs under a
//     work budget counted in elementary steps, with a fixed seed: plans are reproducible
//     and do not depend on the machine's speed.
//  4. Every search stops as soon as the arena equals the lower bound.
import { Interval, lifetimes } from './lifetimes';
import { byFirst, components, Lifetimes, peakLoad } from './intervals';
import { searchComponent } from './component';
import { FitRule, Instance, makeInstance, Placer } from './placer';
import { GREEDY_ORDERS } from './search';
import { Plan, PlanInput, PlanSearchStats } from './types';

export interface PlanOptions {
  /**
   * Work budget of the searches (exact and local), in elementary steps (a few ns each).
   * The default keeps a few thousand buffers well under a second; 0 keeps the best greedy
   * placement.
   */
  effort?: number;
  /** Seed of the local search. */
  seed?: number;
}

export const DEFAULT_EFFORT = 40_000_000;
/** Work after which the greedy orders past the first four are skipped (very large components). */
const GREEDY_WORK = 40_000_000;
const DEFAULT_SEED = 0x7417;

/** How the component that sets the arena was placed (a greedy order keeps its name). */
const STRATEGY: Record<string, string> = { exact: 'exact', bisect: 'exact-bisection' };

function toLifetimes(ivs: Interval[]): Lifetimes {
  return {
    n: ivs.length,
    size: Float64Array.from(ivs, (iv) => iv.bytes),
    first: Float64Array.from(ivs, (iv) => iv.first),
    last: Float64Array.from(ivs, (iv) => iv.last),
  };
}

/**
 * The largest total of bytes live at one step, the earliest step where it is reached, and
 * the buffers live there (in the given order). One sweep: O(n log n).
 */
export function lowerBound(ivs: Interval[]): { bytes: number; step: number; live: string[] } {
  if (ivs.length === 0) return { bytes: 0, step: 0, live: [] };
  const peak = peakLoad(toLifetimes(ivs));
  if (peak.bytes <= 0) return { bytes: 0, step: 0, live: [] };
  const live = ivs.filter((iv) => iv.first <= peak.step && peak.step <= iv.last).map((iv) => iv.name);
  return { bytes: peak.bytes, step: peak.step, live };
}

interface ComponentPlan {
  members: Int32Array;         // global interval indices
  off: Float64Array;           // offsets, by local index
  arena: number;
  strategy: string;
  greedy: number;              // best greedy arena
  how: string;
}

function subLifetimes(lt: Lifetimes, members: Int32Array): Lifetimes {
  return {
    n: members.length,
    size: Float64Array.from(members, (i) => lt.size[i]),
    first: Float64Array.from(members, (i) => lt.first[i]),
    last: Float64Array.from(members, (i) => lt.last[i]),
  };
}

export function planMemory(input: PlanInput, opts: PlanOptions = {}): Plan {
  const effort = opts.effort ?? DEFAULT_EFFORT;
  const seed = opts.seed ?? DEFAULT_SEED;
  const ivs = lifetimes(input);
  const lb = lowerBound(ivs);

  // Only buffers with bytes take part; the others sit at offset 0.
  const sized = ivs.map((iv, i) => i).filter((i) => ivs[i].bytes > 0);
  const lt = toLifetimes(sized.map((i) => ivs[i]));
  const comps = components(lt, byFirst(lt));

  const plans: ComponentPlan[] = [];
  const instances: Instance[] = [];
  const decodeWork: number[] = [];
  const greedyBest: { arena: number; off: Float64Array; perm: Int32Array; rule: FitRule }[] = [];
  for (const members of comps) {
    const inst = makeInstance(subLifetimes(lt, members), Array.from(members, (i) => ivs[sized[i]].name));
    const placer = new Placer(inst);
    let decodes = 0;
    let best: { name: string; arena: number; off: Float64Array; perm: Int32Array; rule: FitRule } | undefined;
    for (const o of GREEDY_ORDERS) {
      const perm = o.order(inst);
      const arena = placer.decode(perm, o.rule);
      decodes++;
      if (!best || arena < best.arena) best = { name: o.name, arena, off: placer.off.slice(), perm, rule: o.rule };
      if (best.arena <= lb.bytes) break;
      // Very large components: past the first planner's four orders, stay within a cap.
      if (decodes >= 4 && placer.work > GREEDY_WORK) break;
    }
    const b = best!;
    plans.push({ members, off: b.off, arena: b.arena, strategy: b.name, greedy: b.arena, how: '' });
    instances.push(inst);
    greedyBest.push(b);
    decodeWork.push(placer.work / decodes);
  }

  // Searches on the components above the target, highest first. A component that cannot
  // reach the lower bound raises the target for the others (they need not go lower).
  const stats: PlanSearchStats = {
    components: plans.length, greedyBytes: plans.reduce((m, p) => Math.max(m, p.greedy), 0),
    searched: 0, exactFound: 0, exactInfeasible: 0, iterations: 0, accepted: 0, improvements: 0, work: 0,
  };
  const byArena = plans.map((_, c) => c).sort((a, b) => plans[b].arena - plans[a].arena || a - b);
  let target = lb.bytes;
  let remaining = effort;
  const pending = (c: number): boolean => plans[c].arena > target && instances[c].lt.n > 1;
  for (let k = 0; k < byArena.length && remaining > 0; k++) {
    const c = byArena[k];
    if (!pending(c)) continue;
    // The budget left is shared by size among the components still waiting.
    let waiting = 0;
    for (let x = k; x < byArena.length && plans[byArena[x]].arena > target; x++) if (pending(byArena[x])) waiting += instances[byArena[x]].lt.n;
    const budget = Math.max(1, Math.floor((remaining * instances[c].lt.n) / waiting));
    stats.searched++;
    const r = searchComponent(instances[c], greedyBest[c], decodeWork[c], target, budget, seed + c);
    const spent = r.work;
    if (r.how === 'exact' || r.how === 'bisect') stats.exactFound++;
    if (r.exactInfeasible) stats.exactInfeasible++;
    stats.iterations += r.iterations;
    stats.accepted += r.accepted;
    stats.improvements += r.improvements;
    if (r.arena < plans[c].arena) plans[c] = { ...plans[c], off: r.off, arena: r.arena, how: r.how };
    remaining -= spent;
    stats.work += spent;
    target = Math.max(target, plans[c].arena);
  }

  // Assemble.
  const offsets = new Float64Array(ivs.length);
  let arena = 0;
  let top: ComponentPlan | undefined;
  for (const p of plans) {
    p.members.forEach((m, local) => { offsets[sized[m]] = p.off[local]; });
    if (!top || p.arena > top.arena) top = p;
    arena = Math.max(arena, p.arena);
  }
  return {
    arenaBytes: arena,
    lowerBoundBytes: lb.bytes,
    peakStep: lb.step,
    liveAtPeak: lb.live,
    buffers: ivs.map((iv, i) => ({ ...iv, offset: offsets[i] })),
    aliases: input.aliases,
    strategy: !top ? 'empty' : !top.how ? top.strategy : STRATEGY[top.how] ?? `${top.strategy}+local-search`,
    search: stats,
  };
}
