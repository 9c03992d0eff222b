import { editorSchema } from '../json-schema.js';
import type { Command } from './common.js';

export const schemaCommand: Command = {
  name: 'schema',
  usage: '',
  summary: 'print the JSON Schema of graph files for editors (checked in as schemas/graph.schema.json)',
  options: {},
  async run() {
    const { registry } = await import('../../nodes/index.js');
    console.log(JSON.stringify(editorSchema(registry), null, 2));
    return 0;
  },
};
