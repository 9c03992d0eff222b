// Build step (after tsc): write the validators of the graph schema and of every shipped kind's
// params as ajv standalone code to dist/engine/validators.generated.cjs (see engine/validators.ts).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import standalone from 'ajv/dist/standalone/index.js';
import { registry } from '../nodes/index.js';
import { graphSchema } from './graph-schema.js';
import { paramsSchema } from './params.js';
import { newAjv, validatorName } from './validators.js';

const schemas = [graphSchema, ...registry.all().map(paramsSchema)];
const ajv = newAjv({ code: { source: true } });
const exports: Record<string, string> = {};
for (const schema of schemas) {
  const name = validatorName(schema);
  if (exports[name]) continue;
  ajv.addSchema(schema, name);
  exports[name] = name;
}
const out = fileURLToPath(new URL('./validators.generated.cjs', import.meta.url));
writeFileSync(out, standalone.default(ajv, exports));
console.log(`precompiled ${Object.keys(exports).length} validators → ${out}`);
