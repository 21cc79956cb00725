// Typed attribute getters for op rules. Wrong types or values raise errors naming the node.
import { nodeError, OnnxNode, ConstTensor } from './types';

export function attrInt(n: OnnxNode, key: string, dflt: number): number {
  const a = n.attrs.get(key);
  if (a === undefined) return dflt;
  if (a.kind !== 'int') throw nodeError(n, `attribute '${key}' must be an int`);
  return a.v;
}

export function attrFloat(n: OnnxNode, key: string, dflt: number): number {
  const a = n.attrs.get(key);
  if (a === undefined) return dflt;
  if (a.kind === 'float' || a.kind === 'int') return a.v;
  throw nodeError(n, `attribute '${key}' must be a float`);
}

export function attrString(n: OnnxNode, key: string, dflt: string): string {
  const a = n.attrs.get(key);
  if (a === undefined) return dflt;
  if (a.kind !== 'string') throw nodeError(n, `attribute '${key}' must be a string`);
  return a.v;
}

export function attrInts(n: OnnxNode, key: string): number[] | undefined {
  const a = n.attrs.get(key);
  if (a === undefined) return undefined;
  if (a.kind === 'ints') return a.v;
  if (a.kind === 'int') return [a.v];
  throw nodeError(n, `attribute '${key}' must be a list of ints`);
}

export function attrTensor(n: OnnxNode, key: string): ConstTensor | undefined {
  const a = n.attrs.get(key);
  if (a === undefined) return undefined;
  if (a.kind !== 'tensor') throw nodeError(n, `attribute '${key}' must be a tensor`);
  return a.v;
}

/** Input `i` if the node has it and it is not the empty "omitted" name. */
export function optInput(n: OnnxNode, i: number): string | undefined {
  const s = n.inputs[i];
  return s ? s : undefined;
}
