// JSON Schema validators (ajv: defaults applied, all errors collected). Loading ajv and compiling
// the schemas of a graph's kinds took ~300 ms of CPU, most of a no-op rerun; the build
// (engine/precompile.ts) writes every shipped schema's validator as standalone code into
// dist/engine/validators.generated.cjs, found here by the schema's hash. A schema it lacks (a test
// kind, a kind edited without a rebuild) is compiled at run time, so a stale file is never wrong.
import type { Ajv, ErrorObject, Options } from 'ajv';
import { createRequire } from 'node:module';
import { canonicalJson, sha256 } from './canonical.js';

const require = createRequire(import.meta.url);

export type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

export const AJV_OPTIONS: Options = { allErrors: true, useDefaults: true, strict: false };

/** The export name of `schema`'s validator in the generated module. */
export function validatorName(schema: object): string {
  return `v${sha256(canonicalJson(schema)).slice(0, 24)}`;
}

export function newAjv(extra: Options = {}): Ajv {
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  return new AjvClass({ ...AJV_OPTIONS, ...extra });
}

let generated: Record<string, Validator> | null | undefined;
let ajv: Ajv | undefined;

export function validator(schema: object): Validator {
  if (generated === undefined) {
    try {
      generated = require('./validators.generated.cjs') as Record<string, Validator>;
    } catch {
      generated = null;
    }
  }
  const pre = generated?.[validatorName(schema)];
  if (pre) return pre;
  ajv ??= newAjv();
  return ajv.compile(schema);
}
