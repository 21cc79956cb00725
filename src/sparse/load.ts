// Reading a scheme file and finding the scheme inside it. MIT keeps several schemes in one
// dict ({"sparse_update_config": {"49kb": {...}, "74kb": {...}}}); a single nested scheme is
// found by itself, one of several is picked with "file.json#49kb".
import * as path from 'path';
import { Json, JsonObject, isObject, schemeError } from './json';
import { MIT_KEYS } from './mit';
import { OUR_KEYS } from './ours';
import { PRESETS } from './presets';

export type ReadFile = (p: string) => string;

export interface Located { format: 'json' | 'mit'; doc: JsonObject; file: string; name: string }

export function loadScheme(spec: string, readFile: ReadFile): Located {
  const { file, key, text } = read(spec, readFile);
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (e) {
    throw schemeError(`scheme file '${file}' is not valid JSON: ${firstLine(e)}`);
  }
  const name = path.basename(file) + (key ? `#${key}` : '');
  return { ...locate(doc, file, key), file, name };
}

/** Reads spec as a path; if that fails and it has a "#key" suffix, reads the part before it. */
function read(spec: string, readFile: ReadFile): { file: string; key?: string; text: string } {
  const hash = spec.lastIndexOf('#');
  try {
    return { file: spec, text: readFile(spec) };
  } catch (e) {
    if (hash > 0 && hash < spec.length - 1 && isMissing(e)) {
      const file = spec.slice(0, hash);
      try {
        return { file, key: spec.slice(hash + 1), text: readFile(file) };
      } catch (e2) {
        throw readError(file, e2);
      }
    }
    throw readError(spec, e);
  }
}

function locate(doc: Json, file: string, key: string | undefined): { format: 'json' | 'mit'; doc: JsonObject } {
  const where = `scheme file '${file}'`;
  let at: Json = doc;
  let trail = '';
  let wanted = key;
  for (let depth = 0; depth < 4; depth++) {
    if (!isObject(at)) throw schemeError(`${where}: ${trail || 'the top level'} must be an object, got ${typeName(at)}`);
    const keys = Object.keys(at);
    const ours = keys.some((k) => k === 'layers');
    const mit = keys.some((k) => (MIT_KEYS as readonly string[]).includes(k));
    if (ours && mit) throw schemeError(`${where}: mixes tinytrain keys (${OUR_KEYS.join(', ')}) with MIT keys (${MIT_KEYS.join(', ')})`);
    if (ours || mit) {
      if (wanted !== undefined) throw schemeError(`${where}: no key '${wanted}'${trail ? ` in ${trail}` : ''}`);
      return { format: ours ? 'json' : 'mit', doc: at };
    }
    const nested = keys.filter((k) => isObject((at as JsonObject)[k]));
    let next: string | undefined;
    if (wanted !== undefined && nested.includes(wanted)) {
      next = wanted;
      wanted = undefined;
    } else if (nested.length === 1 && keys.length === 1) {
      next = nested[0];
    } else if (nested.length > 1 && keys.length === nested.length) {
      if (wanted !== undefined) throw schemeError(`${where}: no key '${wanted}'${trail ? ` in ${trail}` : ''}; it has ${nested.join(', ')}`);
      throw schemeError(`${where}: holds several schemes${trail ? ` in ${trail}` : ''} (${nested.join(', ')}); pick one as '${file}#${nested[0]}'`);
    } else {
      throw schemeError(`${where}: not a scheme${trail ? ` in ${trail}` : ''}: expected 'layers' (tinytrain) or 'n_bias_update', `
        + `'manual_weight_idx', 'weight_update_ratio' (MIT), found ${keys.length > 0 ? keys.map((k) => `'${k}'`).join(', ') : 'no keys'}`);
    }
    trail = trail ? `${trail}.${next}` : `'${next}'`;
    at = at[next];
  }
  throw schemeError(`${where}: no scheme found within 4 levels of nesting`);
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function readError(file: string, e: unknown): Error {
  if (isMissing(e)) return schemeError(`scheme '${file}' is neither a preset (${PRESETS}) nor an existing file`);
  return schemeError(`cannot read scheme file '${file}': ${firstLine(e)}`);
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

function typeName(v: Json): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}
