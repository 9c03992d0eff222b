// Param schemas of node kinds, validated with defaults applied and all errors collected.
import type { ErrorObject } from 'ajv';
import type { NodeDef } from './types.js';
import { validator, type Validator } from './validators.js';

const compiled = new WeakMap<NodeDef, Validator>();

export function paramsSchema(def: NodeDef): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    properties: def.params,
    required: def.required ?? [],
  };
}

/** Validate (and fill defaults into) a copy of `params`. */
export function checkParams(def: NodeDef, params: unknown): { value: Record<string, unknown>; errors: ErrorObject[] } {
  let fn = compiled.get(def);
  if (!fn) {
    fn = validator(paramsSchema(def));
    compiled.set(def, fn);
  }
  const value = structuredClone(params ?? {}) as Record<string, unknown>;
  const ok = fn(value);
  return { value, errors: ok ? [] : [...(fn.errors ?? [])] };
}

/** `Data path "/x" must be …` as a readable sentence with a suggestion where one fits. */
export function describeAjvError(e: ErrorObject, prefix: string): string {
  const where = (prefix + e.instancePath.replace(/\//g, '.')).replace(/^\./, '');
  if (e.keyword === 'additionalProperties') return `${where ? where + ': ' : ''}unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'enum') return `${where} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if (e.keyword === 'required') return `${where ? where + ': ' : ''}missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
  return `${where || 'value'} ${e.message}`;
}
