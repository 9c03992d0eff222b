// Precompiled validators (engine/precompile.ts, run by the build) cover the graph schema and every
// shipped kind, give the errors and defaults that ajv compiled at run time gives, and a schema the
// file lacks is compiled on the spot.
import { expect } from 'chai';
import { createRequire } from 'node:module';
import { graphSchema } from '../../engine/graph-schema.js';
import { paramsSchema } from '../../engine/params.js';
import { newAjv, validator, validatorName } from '../../engine/validators.js';
import { registry } from '../../nodes/index.js';

const generated = createRequire(import.meta.url)('../../engine/validators.generated.cjs') as Record<string, unknown>;

describe('precompiled validators', () => {
  it('cover the graph schema and the params of every shipped kind', () => {
    expect(generated).to.have.property(validatorName(graphSchema));
    for (const def of registry.all()) expect(generated, def.kind).to.have.property(validatorName(paramsSchema(def)));
    expect(validator(graphSchema)).to.equal(generated[validatorName(graphSchema)]);
  });

  it('give the errors and defaults of a run-time compile', () => {
    const ajv = newAjv();
    const cases: [object, unknown][] = [
      [paramsSchema(registry.get('median-filter')!), { size: 4, extra: true }],
      [paramsSchema(registry.get('synthetic-ct')!), { scans: 0, size: 100, splits: { train: 1 } }],
      [paramsSchema(registry.get('cnn-trainer')!), {}],
      [graphSchema, { name: 'bad name!', nodes: { a: { kind: 3 } }, replicates: 0 }],
    ];
    for (const [schema, data] of cases) {
      const [a, b] = [structuredClone(data), structuredClone(data)];
      const pre = validator(schema), fresh = ajv.compile(schema);
      expect(pre(a)).to.equal(fresh(b));
      expect(pre.errors ?? null).to.deep.equal(fresh.errors ?? null);
      expect(a, 'defaults filled in the same way').to.deep.equal(b);
    }
  });

  it('compiles a schema the generated file does not have', () => {
    const schema = { type: 'object', properties: { n: { type: 'integer', default: 3 } }, additionalProperties: false };
    expect(generated).to.not.have.property(validatorName(schema));
    const v = validator(schema), data: Record<string, unknown> = {};
    expect(v(data)).to.equal(true);
    expect(data).to.deep.equal({ n: 3 });
    expect(v({ m: 1 })).to.equal(false);
  });
});
