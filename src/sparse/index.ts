// sparse/ stage: a scheme spec (preset or JSON file, ours or MIT's) + QGraph -> Scheme.
// Pure given readFile: the same spec, graph and file text always give the same scheme.
import * as fs from 'fs';
import { QGraph } from '../ir/qgraph';
import { Scheme } from '../ir/scheme';
import { buildScheme, LayerChoice } from './build';
import { Where, schemeError } from './json';
import { layerInfos } from './layers';
import { ReadFile, loadScheme } from './load';
import { parseMit } from './mit';
import { parseOurs } from './ours';
import { PRESETS, presetChoices } from './presets';

export { trainableLayers } from './layers';
export type { TrainableLayer } from './layers';
export { channelCount, channelScores } from './select';
export { schemeSummary } from './summary';
export { PRESETS };

export function resolveScheme(spec: string, g: QGraph, opts: { readFile?: ReadFile } = {}): Scheme {
  if (spec.trim() === '') throw schemeError(`empty scheme: give a preset (${PRESETS}) or a JSON file`);
  const infos = layerInfos(g);
  const preset = presetChoices(spec, infos);
  if (preset) return buildScheme(preset.name, 'preset', infos, preset.choices, []);
  const readFile = opts.readFile ?? ((p: string): string => fs.readFileSync(p, 'utf8'));
  const loaded = loadScheme(spec, readFile);
  const where = new Where(loaded.file);
  if (loaded.format === 'mit') {
    const p = parseMit(loaded.doc, infos, where);
    return buildScheme(loaded.name, 'mit', infos, p.choices, p.notes);
  }
  const p = parseOurs(loaded.doc, infos, where);
  return buildScheme(p.name ?? loaded.name, 'json', infos, p.choices, p.notes);
}

/** A scheme from per-layer choices (keyed by trainable-layer index), e.g. one the analysis chose. */
export function schemeFromChoices(name: string, g: QGraph, choices: Map<number, LayerChoice>): Scheme {
  return buildScheme(name, 'json', layerInfos(g), choices, []);
}
export type { LayerChoice } from './build';
export { layerInfos } from './layers';
export type { LayerInfo } from './layers';
