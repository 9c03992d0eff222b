// The JSON Schema of graph files for editors (yaml-language-server), generated from the graph
// schema and every registered kind's params: completion of kinds, params and their defaults.
import { graphSchema, nodeSchema } from './graph-schema.js';
import { paramsSchema } from './params.js';
import type { Registry } from './registry.js';

export function editorSchema(registry: Registry): Record<string, unknown> {
  const kinds = registry.all().sort((a, b) => a.kind.localeCompare(b.kind));
  const node = {
    ...nodeSchema,
    properties: { ...nodeSchema.properties, kind: { type: 'string', enum: kinds.map((k) => k.kind), description: 'node kind' } },
    allOf: kinds.map((def) => ({
      if: { properties: { kind: { const: def.kind } }, required: ['kind'] },
      then: {
        description: def.description,
        properties: {
          params: { ...paramsSchema(def), description: `${def.kind} v${def.version} (${def.mode}): ${def.description}` },
          in: def.ports ? { type: 'object', additionalProperties: { type: 'string' }, description: 'the input ports its params declare' } : {
            type: 'object',
            additionalProperties: false,
            properties: Object.fromEntries(Object.entries(def.inputs ?? {}).map(([p, t]) => [p, {
              ...(def.mode === 'barrier' && def.variadic?.includes(p) ? { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } : { type: 'string' }),
              description: `${t.name}: ${t.doc}`,
            }])),
          },
        },
      },
    })),
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://ctflow.invalid/graph.schema.json',
    title: 'ctflow graph',
    ...graphSchema,
    properties: { ...graphSchema.properties, nodes: { ...graphSchema.properties.nodes, additionalProperties: node } },
  };
}
