// Small validators for scheme files: every failure is a one-line TinytrainError that names
// the file, the field and the offending value.
import { TinytrainError } from '../errors';
import { RATIOS, Ratio } from '../ir/scheme';
import { LayerInfo } from './layers';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export function schemeError(message: string): TinytrainError {
  return new TinytrainError(message, 'E_SCHEME');
}

export function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value as it appears in the file, shortened for a one-line message. */
export function show(v: Json | undefined): string {
  const s = v === undefined ? 'missing' : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** Reports the scheme file's problems with a common prefix. */
export class Where {
  constructor(readonly file: string) {}

  error(message: string): TinytrainError {
    return schemeError(`scheme file '${this.file}': ${message}`);
  }

  onlyKeys(obj: JsonObject, allowed: readonly string[], at: string): void {
    for (const k of Object.keys(obj)) {
      if (!allowed.includes(k)) {
        throw this.error(`unknown key '${k}'${at ? ` in ${at}` : ''} (expected ${allowed.join(', ')})`);
      }
    }
  }

  integer(v: Json | undefined, field: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw this.error(`${field} must be an integer, got ${show(v)}`);
    return v;
  }

  ratio(v: Json | undefined, field: string): Ratio {
    const r = RATIOS.find((x) => x === v);
    if (r === undefined) throw this.error(`${field} ${show(v)} is not one of ${RATIOS.join(', ')}`);
    return r;
  }

  /** A layer index counted from the input over all trainable layers. */
  index(v: Json | undefined, field: string, infos: LayerInfo[]): number {
    const i = this.integer(v, field);
    if (i < 0 || i >= infos.length) {
      throw this.error(`${field} ${i} is out of range: the model has ${infos.length} trainable layers`
        + (infos.length > 0 ? ` (0..${infos.length - 1})` : ''));
    }
    return i;
  }
}

/** Up to a few layer names for "did you mean" lists. */
export function someNames(infos: LayerInfo[]): string {
  const shown = infos.slice(0, 6).map((l) => l.name).join(', ');
  return infos.length > 6 ? `${shown}, ... (${infos.length} in all)` : shown;
}
