// The editor schema is generated from the registered kinds; the checked-in copy must be current.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { editorSchema } from '../../engine/json-schema.js';
import { registry } from '../../nodes/index.js';
import { parse } from 'yaml';

describe('schemas/graph.schema.json', () => {
  const generated = editorSchema(registry);

  it('is up to date with the registered kinds (regenerate: npm run schema)', () => {
    const checkedIn = JSON.parse(readFileSync('schemas/graph.schema.json', 'utf8'));
    expect(checkedIn).to.deep.equal(generated);
  });

  it('accepts a valid graph and rejects a wrong param, as the engine does', () => {
    const validate = new Ajv({ strict: false }).compile(generated);
    const kind = registry.kinds()[0];
    const def = registry.get(kind)!;
    const good = { name: 'g', nodes: { a: { kind, params: def.example } } };
    expect(validate(good), JSON.stringify(validate.errors)).to.equal(true);
    expect(validate({ name: 'g', nodes: { a: { kind, params: { ...def.example, __junk__: 1 } } } })).to.equal(false);
    expect(validate(parse('name: g\nnodes:\n  a: { kind: no-such-kind }\n'))).to.equal(false);
  });
});
