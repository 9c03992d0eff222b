// One conformance suite for every registered node kind (the shipped ones and the test-only
// ones): contract shape, example params accepted, junk rejected, outputs match the declared
// ports, key stable under param-key reordering (at every depth; checked where the example params
// have keys to reorder, and on a nested multi-key mapping), report parts and exporters that load.
// A new kind gets all of this for free.
import { expect } from 'chai';
import type { RecordBatch } from 'apache-arrow';
import { loadExport } from '../engine/lazy.js';
import { checkParams } from '../engine/params.js';
import { nodeKey, type KeyMaterial } from '../engine/plan.js';
import { columnsOf, describePort, portMismatch, portType } from '../engine/ports.js';
import type { NodeDef, Outputs } from '../engine/types.js';
import { nodeKinds } from '../nodes/index.js';
import { testKinds } from './kinds/index.js';
import { testContext } from './helpers/context.js';
import { memoryReader, sampleBatches } from './helpers/samples.js';

const MAX_STEPS = 3;

async function outputsOf(def: NodeDef, params: Record<string, unknown>): Promise<Outputs[]> {
  const ctx = testContext(params, { id: def.kind, seed: 1 });
  const out: Outputs[] = [];
  if (def.mode === 'source') {
    for await (const o of def.run(ctx)) {
      out.push(o);
      if (out.length >= MAX_STEPS) break;
    }
    return out;
  }
  const inputs: Record<string, RecordBatch[]> = {};
  for (const [port, type] of Object.entries(def.inputs)) {
    const batches = sampleBatches(type);
    if (!batches) throw new Error(`no sample for port type "${type.name}": add one to test/helpers/samples.ts`);
    inputs[port] = batches;
  }
  if (def.mode === 'stream') {
    const n = Math.min(...Object.values(inputs).map((b) => b.length));
    for (let i = 0; i < n; i++) out.push(await def.run(ctx, Object.fromEntries(Object.entries(inputs).map(([p, b]) => [p, b[i]]))));
    return out;
  }
  const readers = Object.fromEntries(Object.entries(inputs).map(([p, b]) => [p, memoryReader(b)]));
  for await (const o of def.run(ctx, readers)) out.push(o);
  return out;
}

function wrongValue(schema: Record<string, unknown>): unknown {
  const t = schema.type;
  if (t === 'object') return 'not-an-object';
  if (t === 'string') return schema.enum ? '__no_such_choice__' : 12345;
  return { junk: true };
}

/** The same value with the keys of every object, at every depth, in reverse order. */
function reversedDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversedDeep);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversedDeep(x)]));
  return v;
}

const keyMaterial = (def: NodeDef, params: Record<string, unknown>): KeyMaterial => ({ kind: def.kind, version: def.version, impl: 'x', params, inputs: {} });

describe('conformance: node keys of nested params', () => {
  // synthetic-ct's splits are a mapping of three keys inside a mapping of seven.
  const def = nodeKinds.find((d) => d.kind === 'synthetic-ct')!;
  const params = checkParams(def, { ...def.example, splits: { train: 0.5, validation: 0.25, test: 0.25 } }).value;

  it('are the same whatever the order of keys at every depth', () => {
    const inner = { ...params, splits: reversedDeep(params.splits) };
    expect(Object.keys(inner.splits as object)).to.deep.equal(['test', 'validation', 'train']);
    expect(Object.keys(params).length).to.be.at.least(2);
    for (const reordered of [inner, reversedDeep(params) as Record<string, unknown>]) {
      expect(JSON.stringify(reordered)).to.not.equal(JSON.stringify(params));
      expect(nodeKey(keyMaterial(def, reordered))).to.equal(nodeKey(keyMaterial(def, params)));
    }
  });

  it('differ when a nested value differs', () => {
    const other = { ...params, splits: { train: 0.5, validation: 0.3, test: 0.2 } };
    expect(nodeKey(keyMaterial(def, other))).to.not.equal(nodeKey(keyMaterial(def, params)));
  });
});

const shipped = new Set(nodeKinds);
for (const def of [...nodeKinds, ...testKinds]) {
  describe(`conformance: ${def.kind}`, () => {
    it('has a well-formed definition', () => {
      expect(def.kind).to.match(/^[a-z][a-z0-9-]*$/);
      expect(Number.isInteger(def.version) && def.version >= 1).to.equal(true);
      expect(def.description.length).to.be.greaterThan(5);
      expect(Object.keys(def.outputs).length).to.be.greaterThan(0);
      if (shipped.has(def)) expect(def.module, 'one kind per file, named for the kind').to.match(new RegExp(`/nodes/${def.kind}\\.(js|ts)$`));
      for (const [name, schema] of Object.entries(def.params)) {
        const optional = [...(def.required ?? []), ...(def.unsetByDefault ?? [])];
        if (!optional.includes(name)) expect(schema, `param "${name}" needs a default`).to.have.property('default');
        if ((def.unsetByDefault ?? []).includes(name)) expect(schema, `param "${name}" is unset by default`).not.to.have.property('default');
      }
    });

    it('accepts its example params and applies defaults', () => {
      const { value, errors } = checkParams(def, def.example);
      expect(errors, JSON.stringify(errors)).to.deep.equal([]);
      for (const name of Object.keys(def.params)) if (!(def.unsetByDefault ?? []).includes(name) || name in def.example) expect(value, name).to.have.property(name);
    });

    it('rejects junk params', () => {
      expect(checkParams(def, { ...def.example, __junk__: 1 }).errors).to.not.deep.equal([]);
      for (const [name, schema] of Object.entries(def.params)) {
        const bad = { ...def.example, [name]: wrongValue(schema) };
        expect(checkParams(def, bad).errors, `param "${name}" accepted ${JSON.stringify(wrongValue(schema))}`).to.not.deep.equal([]);
      }
    });

    it('emits only declared outputs, matching their port types', async function () {
      this.timeout(120000);
      const { value } = checkParams(def, def.example);
      const outs = await outputsOf(def, value);
      expect(outs.length, 'emitted nothing for its example').to.be.greaterThan(0);
      for (const o of outs) {
        for (const [port, batch] of Object.entries(o)) {
          const want = def.outputs[port];
          expect(want, `undeclared output "${port}"`).to.not.equal(undefined);
          const why = portMismatch(portType(port, columnsOf(batch.schema), ''), want);
          expect(why, `output "${port}" vs ${describePort(want)}`).to.equal(null);
        }
      }
    });

    it('names report parts and port exporters that load, panels drawn through a declared input', async () => {
      const { sections = [], panel } = def.report ?? {};
      const exporters = [...Object.values(def.inputs ?? {}), ...Object.values(def.outputs)].flatMap((t) => (t.exporter ? [t.exporter] : []));
      for (const ref of [...sections, ...(panel ? [panel.draw] : []), ...exporters]) await loadExport(ref);
      if (panel) expect(def.inputs ?? {}, 'report.panel.through names an input').to.have.property(panel.through);
    });

    // Only where the params have two keys at some depth: with fewer, no order can differ.
    const example = checkParams(def, def.example).value;
    if (JSON.stringify(reversedDeep(example)) !== JSON.stringify(example)) {
      it('has a key that does not depend on the order of param keys', () => {
        expect(nodeKey(keyMaterial(def, reversedDeep(example) as Record<string, unknown>))).to.equal(nodeKey(keyMaterial(def, example)));
      });
    }
  });
}
