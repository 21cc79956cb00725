// Built-in schemes: none, full, bias, last:K, bias+last:K.
import { LayerChoice } from './build';
import { LayerInfo } from './layers';
import { schemeError } from './json';

export const PRESETS = 'none, full, bias, last:K, bias+last:K';

/** Per-layer choices of a preset, or undefined when spec is not preset syntax (then it is a path). */
export function presetChoices(spec: string, infos: LayerInfo[]): { name: string; choices: Map<number, LayerChoice> } | undefined {
  const choices = new Map<number, LayerChoice>();
  const all = (c: LayerChoice): void => infos.forEach((l) => choices.set(l.index, { ...c }));
  if (spec === 'none') return { name: spec, choices };
  if (spec === 'full') { all({ bias: true, ratio: 1 }); return { name: spec, choices }; }
  if (spec === 'bias') { all({ bias: true, ratio: 0 }); return { name: spec, choices }; }
  const m = /^(bias\+)?last(?::(.*))?$/.exec(spec);
  if (!m) return undefined;
  const k = lastK(spec, m[2], infos.length);
  if (m[1]) all({ bias: true, ratio: 0 });
  for (const l of infos.slice(infos.length - k)) choices.set(l.index, { bias: true, ratio: 1 });
  return { name: `${m[1] ?? ''}last:${k}`, choices };
}

function lastK(spec: string, text: string | undefined, n: number): number {
  const k = text !== undefined && /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(k >= 1 && k <= n)) {
    const range = n > 0 ? `an integer from 1 to ${n}` : 'an integer, but there are none to train';
    throw schemeError(`scheme '${spec}': K must be ${range} (the model has ${n} trainable layers)`);
  }
  return k;
}
