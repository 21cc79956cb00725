// tinytrain's own scheme file:
//   {"name"?: string, "description"?: string,
//    "layers": [{"layer": <node name or index>, "bias": bool, "weight_ratio": 0|0.125|0.25|0.5|1,
//                "channels"?: [ascending input channels]}]}
// Unlisted layers are frozen.
import { LayerInfo } from './layers';
import { LayerChoice } from './build';
import { Json, JsonObject, Where, isObject, show, someNames } from './json';
import { channelCount, ratioText } from './select';

export const OUR_KEYS = ['layers', 'name', 'description'] as const;
const ENTRY_KEYS = ['layer', 'bias', 'weight_ratio', 'channels'] as const;

export interface Parsed { name?: string; choices: Map<number, LayerChoice>; notes: string[] }

export function parseOurs(doc: JsonObject, infos: LayerInfo[], w: Where): Parsed {
  w.onlyKeys(doc, OUR_KEYS, '');
  if (doc.name !== undefined && (typeof doc.name !== 'string' || doc.name === '')) {
    throw w.error(`name must be a non-empty string, got ${show(doc.name)}`);
  }
  if (doc.description !== undefined && typeof doc.description !== 'string') {
    throw w.error(`description must be a string, got ${show(doc.description)}`);
  }
  if (!Array.isArray(doc.layers)) throw w.error(`layers must be an array, got ${show(doc.layers)}`);
  const choices = new Map<number, LayerChoice>();
  const seenAt = new Map<number, number>();
  doc.layers.forEach((entry, k) => {
    const at = `layers[${k}]`;
    if (!isObject(entry)) throw w.error(`${at} must be an object, got ${show(entry)}`);
    w.onlyKeys(entry, ENTRY_KEYS, at);
    const info = layerOf(entry.layer, `${at}.layer`, infos, w);
    const prev = seenAt.get(info.index);
    if (prev !== undefined) throw w.error(`${at} repeats layer '${info.name}' (index ${info.index}) already given in layers[${prev}]`);
    seenAt.set(info.index, k);
    if (typeof entry.bias !== 'boolean') throw w.error(`${at}.bias must be true or false, got ${show(entry.bias)}`);
    const ratio = w.ratio(entry.weight_ratio, `${at}.weight_ratio`);
    const choice: LayerChoice = { bias: entry.bias, ratio };
    if (entry.channels !== undefined) choice.channels = channelsOf(entry.channels, `${at}.channels`, info, ratio, w);
    choices.set(info.index, choice);
  });
  return { name: doc.name, choices, notes: [] };
}

function layerOf(v: Json | undefined, field: string, infos: LayerInfo[], w: Where): LayerInfo {
  if (typeof v === 'string') {
    const info = infos.find((l) => l.name === v);
    if (!info) throw w.error(`${field} '${v}' is not a trainable layer (conv or gemm node); the model has: ${someNames(infos)}`);
    return info;
  }
  if (typeof v === 'number') return infos[w.index(v, field, infos)];
  throw w.error(`${field} must be a node name or an index, got ${show(v)}`);
}

/** User-fixed channels: ascending, unique, in range, exactly as many as the ratio selects. */
function channelsOf(v: Json, field: string, info: LayerInfo, ratio: LayerChoice['ratio'], w: Where): number[] {
  if (!Array.isArray(v)) throw w.error(`${field} must be an array of input channel numbers, got ${show(v)}`);
  const out: number[] = [];
  v.forEach((c, k) => {
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c >= info.inChannels) {
      throw w.error(`${field}[${k}] ${show(c)} is not an input channel of '${info.name}' (0..${info.inChannels - 1})`);
    }
    if (k > 0 && c <= out[k - 1]) throw w.error(`${field} must be ascending without repeats, got ${show(v)}`);
    out.push(c);
  });
  const want = channelCount(ratio, info.inChannels);
  if (out.length !== want) {
    throw w.error(`${field} has ${out.length} channels but weight_ratio ${ratioText(ratio)} of ${info.inChannels} `
      + `input channels of '${info.name}' updates ${want}`);
  }
  return out;
}
