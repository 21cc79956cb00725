// Tiled execution of the frozen prefix (after MCUNetV2's patch-based inference). Layers
// before the first updated layer save nothing for backward, so they can run tile by tile:
// each tile of the segment's output is computed from just the input region it needs,
// through every layer of the segment, and the high-resolution intermediate maps that set
// the memory peak never exist whole. Halo rows and columns are recomputed per tile.
import { QNode } from '../ir/qgraph';
import { TrainBuffer, TrainGraph, TrainStep } from '../ir/train';
import { stepAccess } from './steps';

type Region = { y0: number; y1: number; x0: number; x1: number };
const TILEABLE = new Set(['conv', 'act', 'add', 'avgpool', 'maxpool']);

interface Segment { nodes: QNode[]; input: string; output: string }

/** Tensors after which the forward pass can be cut into a tiled segment, shallowest first. */
export function tilingCandidates(tg: TrainGraph): string[] {
  const g = tg.qgraph;
  const out: string[] = [];
  for (let i = 0; i < g.nodes.length; i++) {
    const seg = segmentUpTo(tg, g.nodes[i].output);
    if (seg) out.push(g.nodes[i].output);
    else if (!TILEABLE.has(g.nodes[i].op)) break;
  }
  return out;
}

// The schedule search asks for the same (graph, cut) once per tile grid: remember it.
const segments = new WeakMap<TrainGraph, Map<string, Segment | null>>();

function segmentUpTo(tg: TrainGraph, cut: string): Segment | null {
  let known = segments.get(tg);
  if (!known) { known = new Map(); segments.set(tg, known); }
  if (!known.has(cut)) known.set(cut, findSegment(tg, cut));
  return known.get(cut) ?? null;
}

function findSegment(tg: TrainGraph, cut: string): Segment | null {
  const g = tg.qgraph;
  const end = g.nodes.findIndex((n) => n.output === cut);
  if (end < 0) return null;
  const nodes = g.nodes.slice(0, end + 1);
  if (nodes.length < 2 || !nodes.every((n) => TILEABLE.has(n.op) && g.tensors[n.output].shape.length === 4)) return null;
  const inside = new Set(nodes.map((n) => n.output));
  // Only the graph input comes from outside; only the cut is used outside.
  if (!nodes.every((n) => n.inputs.every((t) => t === g.input || inside.has(t)))) return null;
  const segSteps = new Set(nodes.map((n) => n.name));
  for (const s of tg.steps) {
    if (s.kind === 'forward' && segSteps.has(s.node.name)) continue;
    const { reads, writes } = stepAccess(s);
    if ([...reads, ...writes].some((t) => inside.has(t) && t !== cut)) return null;
    if (s.kind === 'save' && s.from === g.input) return null;
  }
  if (Object.keys(tg.aliases).some((a) => inside.has(a) || inside.has(tg.aliases[a])) && !Object.values(tg.aliases).every((v) => v === cut || !inside.has(v))) return null;
  return { nodes, input: g.input, output: cut };
}

/** Input region a node reads to produce `r` of its output (clipped to the input). */
function receptive(n: QNode, r: Region, inH: number, inW: number): Region {
  if (n.op === 'conv' || n.op === 'avgpool' || n.op === 'maxpool') {
    const [kh, kw] = n.op === 'conv' ? [n.weightShape[2], n.weightShape[3]] : n.kernel;
    const [sh, sw] = n.strides;
    const [pt, pl] = [n.pads[0], n.pads[1]];
    return {
      y0: Math.max(0, r.y0 * sh - pt), y1: Math.min(inH, (r.y1 - 1) * sh - pt + kh),
      x0: Math.max(0, r.x0 * sw - pl), x1: Math.min(inW, (r.x1 - 1) * sw - pl + kw),
    };
  }
  return r;
}

const union = (a: Region | undefined, b: Region): Region => (a ? { y0: Math.min(a.y0, b.y0), y1: Math.max(a.y1, b.y1), x0: Math.min(a.x0, b.x0), x1: Math.max(a.x1, b.x1) } : b);
const same = (a: Region, b: Region): boolean => a.y0 === b.y0 && a.y1 === b.y1 && a.x0 === b.x0 && a.x1 === b.x1;

/** The TrainGraph with the segment ending at `cut` run in a gh x gw grid of tiles. */
export function tilePrefix(tg: TrainGraph, cut: string, grid: [number, number]): TrainGraph | null {
  const seg = segmentUpTo(tg, cut);
  if (!seg) return null;
  const g = tg.qgraph;
  // A tile's regular conv uses the untiled call's im2col scratch.
  const scratchOf = new Map(tg.steps.flatMap((s): [string, string][] => (s.kind === 'forward' && s.scratch ? [[s.node.name, s.scratch]] : [])));
  const [, cC, cH, cW] = g.tensors[cut].shape;
  const [gh, gw] = grid;
  if (gh < 1 || gw < 1 || gh > cH || gw > cW || gh * gw < 2) return null;
  const shapeOf = (t: string): number[] => g.tensors[t].shape;
  const buffers: TrainBuffer[] = tg.buffers.filter((b) => !seg.nodes.some((n) => n.output === b.name && n.output !== cut));
  const steps: TrainStep[] = [];
  let tile = 0;
  for (let ty = 0; ty < gh; ty++) {
    for (let tx = 0; tx < gw; tx++, tile++) {
      const regions = new Map<string, Region>();
      regions.set(cut, { y0: Math.floor((ty * cH) / gh), y1: Math.floor(((ty + 1) * cH) / gh), x0: Math.floor((tx * cW) / gw), x1: Math.floor(((tx + 1) * cW) / gw) });
      // What each node needs of each input, walking back from the cut.
      const needs = new Map<string, Region>(); // `${node}|${input}` -> region
      for (let i = seg.nodes.length - 1; i >= 0; i--) {
        const n = seg.nodes[i];
        const r = regions.get(n.output);
        if (!r) continue; // nothing downstream needs it for this tile
        for (const t of n.inputs) {
          const [, , h, w] = shapeOf(t);
          const need = receptive(n, r, h, w);
          needs.set(`${n.name}|${t}`, need);
          regions.set(t, union(regions.get(t), need));
        }
      }
      const tileBuf = (t: string, suffix = ''): string => `tile${tile}:${t}${suffix}`;
      const addBuf = (name: string, c: number, r: Region): void => {
        const e = c * (r.y1 - r.y0) * (r.x1 - r.x0);
        buffers.push({ name, kind: 'scratch', dtype: 'int8', elements: e, bytes: e });
      };
      const inR = regions.get(seg.input);
      if (!inR) continue;
      const [, inC, inH, inW] = shapeOf(seg.input);
      addBuf(tileBuf(seg.input), inC, inR);
      steps.push({ kind: 'tile_copy', from: seg.input, to: tileBuf(seg.input), channels: inC, srcH: inH, srcW: inW, y0: inR.y0, x0: inR.x0, h: inR.y1 - inR.y0, w: inR.x1 - inR.x0 });
      for (const n of seg.nodes) {
        const outR = regions.get(n.output);
        if (!outR) continue;
        const map: Record<string, string> = {};
        const shapes: Record<string, number[]> = {};
        for (const t of n.inputs) {
          const have = regions.get(t) as Region;
          const need = needs.get(`${n.name}|${t}`) as Region;
          const c = shapeOf(t)[1];
          if (same(have, need)) {
            map[t] = tileBuf(t);
          } else {
            // A tensor read by several ops holds the union of their regions: crop.
            const crop = tileBuf(t, `@${n.name}`);
            addBuf(crop, c, need);
            steps.push({ kind: 'tile_copy', from: tileBuf(t), to: crop, channels: c, srcH: have.y1 - have.y0, srcW: have.x1 - have.x0, y0: need.y0 - have.y0, x0: need.x0 - have.x0, h: need.y1 - need.y0, w: need.x1 - need.x0 });
            map[t] = crop;
          }
          shapes[t] = [1, c, need.y1 - need.y0, need.x1 - need.x0];
        }
        const oc = shapeOf(n.output)[1];
        map[n.output] = tileBuf(n.output);
        shapes[n.output] = [1, oc, outR.y1 - outR.y0, outR.x1 - outR.x0];
        addBuf(tileBuf(n.output), oc, outR);
        const scratch = scratchOf.get(n.name);
        steps.push({ kind: 'tile_forward', node: tileNode(n, outR, needs.get(`${n.name}|${n.inputs[0]}`) as Region), tile, buffers: map, shapes, ...(scratch ? { scratch } : {}) });
      }
      const r = regions.get(cut) as Region;
      steps.push({ kind: 'tile_place', from: tileBuf(cut), to: cut, channels: cC, h: r.y1 - r.y0, w: r.x1 - r.x0, dstH: cH, dstW: cW, y0: r.y0, x0: r.x0 });
    }
  }
  const segNames = new Set(seg.nodes.map((n) => n.name));
  const firstSeg = tg.steps.findIndex((s) => s.kind === 'forward' && segNames.has(s.node.name));
  const rest = tg.steps.filter((s) => !(s.kind === 'forward' && segNames.has(s.node.name)));
  const newSteps = [...rest.slice(0, firstSeg), ...steps, ...rest.slice(firstSeg)];
  const removed = tg.steps.length - rest.length;
  return {
    ...tg,
    steps: newSteps,
    buffers,
    lossStep: tg.lossStep - removed + steps.length,
    tiling: { segment: seg.nodes.map((n) => n.name), output: cut, grid, tiles: gh * gw },
    notes: [...tg.notes, `tiled execution: ${seg.nodes.length} layers up to '${cut}' run in ${gh}x${gw} tiles`],
  };
}

/** The node with the padding of its tile: only the true image border is padded. */
function tileNode(n: QNode, out: Region, inR: Region): QNode {
  if (n.op !== 'conv' && n.op !== 'avgpool' && n.op !== 'maxpool') return n;
  const [sh, sw] = n.strides;
  const padT = inR.y0 - (out.y0 * sh - n.pads[0]);
  const padL = inR.x0 - (out.x0 * sw - n.pads[1]);
  return { ...n, pads: [padT, padL, 0, 0] } as QNode;
}
