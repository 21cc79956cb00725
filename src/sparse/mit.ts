// MIT Tiny Training Engine's sparse-update config (tiny-training, algorithm/core/utils/
// partial_backward.py), e.g. {"n_bias_update": 20, "manual_weight_idx": [23, 24, 27, 30, 33, 39],
// "weight_update_ratio": [0, 0.25, 0.5, 0.5, 0, 0]}. MIT's semantics, which its 49kb scheme
// and the weights/biases in TTE's exported graph confirm:
// - the classifier (the last trainable layer) is always updated in full, bias and weights;
// - n_bias_update counts layers back from the one before the classifier;
// - manual_weight_idx counts from the input (the classifier, last, would be the largest index)
//   and must be ascending; each weight-updated layer must also be a bias-updated one;
// - weight_update_ratio pairs with manual_weight_idx by position; ratio 0 means bias only.
// Lists may also be MIT's dash strings ("21-24-27"), as its YAML/CLI configs write them.
import { Ratio } from '../ir/scheme';
import { LayerChoice } from './build';
import { LayerInfo } from './layers';
import { Json, JsonObject, Where, show } from './json';
import { Parsed } from './ours';

export const MIT_KEYS = [
  'n_bias_update', 'manual_weight_idx', 'weight_update_ratio',
  'n_weight_update', 'enable_backward_config', 'weight_select_criteria', 'pw1_weight_only',
] as const;

export function parseMit(doc: JsonObject, infos: LayerInfo[], w: Where): Parsed {
  w.onlyKeys(doc, MIT_KEYS, '');
  if (infos.length === 0) throw w.error('the model has no trainable (conv or gemm) layers');
  const cls = infos.length - 1;                 // the classifier; MIT's convs are the layers before it
  const enabled = flag(doc.enable_backward_config, 'enable_backward_config', true, w);
  const nBias = count(doc.n_bias_update, 'n_bias_update', cls, undefined, w);
  let idx = indices(doc, nBias, cls, infos, w);
  const notes: string[] = [];
  if (flag(doc.pw1_weight_only, 'pw1_weight_only', false, w)) {
    const dropped = idx.filter((i) => !isPw1(infos[i]));
    idx = idx.filter((i) => isPw1(infos[i]));
    if (dropped.length > 0) notes.push(`pw1_weight_only: weight updates of layers ${dropped.join(', ')} dropped (not expanding 1x1 convs)`);
  }
  const ratios = ratioList(doc.weight_update_ratio, idx.length, w);
  const criteria = doc.weight_select_criteria;
  if (criteria !== undefined && criteria !== null && criteria !== 'magnitude+') {
    throw w.error(`weight_select_criteria ${show(criteria)} is not supported; tinytrain selects channels by magnitude ('magnitude+')`);
  }
  const firstBias = cls - nBias;
  for (const i of idx) {
    if (i !== cls && i < firstBias) {
      throw w.error(`manual_weight_idx ${i} is not among the last n_bias_update=${nBias} layers before the classifier`
        + ` (${nBias > 0 ? `${firstBias}..${cls - 1}` : 'none'}); MIT updates the bias of every layer whose weights it updates`);
    }
  }

  const choices = new Map<number, LayerChoice>();
  if (!enabled) {
    for (const l of infos) choices.set(l.index, { bias: true, ratio: 1 });
    notes.push('enable_backward_config is 0: MIT then updates every layer in full');
    return { choices, notes };
  }
  for (let i = firstBias; i < cls; i++) choices.set(i, { bias: true, ratio: 0 });
  choices.set(cls, { bias: true, ratio: 1 });
  idx.forEach((i, k) => choices.set(i, { bias: true, ratio: ratios[k] }));
  notes.push(`MIT format: classifier '${infos[cls].name}' (layer ${cls}) updated in full as MIT always does; `
    + `n_bias_update ${nBias} counts the layers before it${nBias > 0 ? ` (${firstBias}..${cls - 1})` : ''}`);
  notes.push('MIT simulated magnitude-selected channels but its device updated the first k; tinytrain updates the magnitude-selected channels everywhere');
  return { choices, notes };
}

/** Layer indices whose weights MIT updates: manual_weight_idx, else the last n_weight_update. */
function indices(doc: JsonObject, nBias: number, cls: number, infos: LayerInfo[], w: Where): number[] {
  if (doc.manual_weight_idx !== undefined && doc.manual_weight_idx !== null) {
    const list = numbers(doc.manual_weight_idx, 'manual_weight_idx', w);
    const out = list.map((v) => w.index(v, 'manual_weight_idx', infos));
    out.forEach((v, k) => {
      if (k > 0 && v <= out[k - 1]) throw w.error(`manual_weight_idx must be ascending without repeats, got ${show(doc.manual_weight_idx)}`);
    });
    return out;
  }
  if (doc.n_weight_update === undefined || doc.n_weight_update === null) return [];
  const n = count(doc.n_weight_update, 'n_weight_update', cls, nBias, w);
  return Array.from({ length: n }, (_, k) => cls - n + k);
}

/** A count of layers before the classifier: an integer 0..cls, or 'all' (= allValue ?? cls). */
function count(v: Json | undefined, field: string, cls: number, allValue: number | undefined, w: Where): number {
  if (v === 'all') return allValue ?? cls;
  if (v === undefined) throw w.error(`${field} is required (an integer 0..${cls} or "all")`);
  const n = w.integer(v, field);
  if (n < 0 || n > cls) {
    throw w.error(`${field} ${n} is out of range: MIT counts the ${cls} layers before the classifier (0..${cls})`);
  }
  return n;
}

function ratioList(v: Json | undefined, n: number, w: Where): Ratio[] {
  const field = 'weight_update_ratio';
  if (v === undefined || v === null) return new Array<Ratio>(n).fill(1);   // MIT: None = all channels
  if (typeof v === 'number') return new Array<Ratio>(n).fill(w.ratio(v, field));
  const list = numbers(v, field, w);
  if (list.length !== n) throw w.error(`${field} has ${list.length} values but manual_weight_idx selects ${n} layers`);
  return list.map((r) => w.ratio(r, field));
}

/** A JSON array of numbers or MIT's dash-separated string form. */
function numbers(v: Json, field: string, w: Where): number[] {
  if (typeof v === 'number') return [v];
  if (typeof v === 'string') {
    return v.split('-').map((part) => {
      const x = part.trim() === '' ? NaN : Number(part);
      if (!Number.isFinite(x)) throw w.error(`${field} ${show(v)} is not a list of numbers`);
      return x;
    });
  }
  if (!Array.isArray(v)) throw w.error(`${field} must be a list of numbers, got ${show(v)}`);
  return v.map((x, k) => {
    if (typeof x !== 'number') throw w.error(`${field}[${k}] must be a number, got ${show(x)}`);
    return x;
  });
}

function flag(v: Json | undefined, field: string, dflt: boolean, w: Where): boolean {
  if (v === undefined || v === null) return dflt;
  if (v === 0 || v === 1 || typeof v === 'boolean') return Boolean(v);
  throw w.error(`${field} must be 0 or 1, got ${show(v)}`);
}

/** MIT's _is_pw1: an expanding 1x1 conv (mobile inverted bottleneck's first conv). */
function isPw1(l: LayerInfo): boolean {
  return l.node.op === 'conv' && l.node.weightShape[2] === 1 && l.node.weightShape[3] === 1 && l.outChannels > l.inChannels;
}
