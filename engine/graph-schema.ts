// JSON Schema of a graph file (the kinds' params are checked separately, per node).
import { MAX_NAME, NAME_PATTERN } from './names.js';

export const ID_PATTERN = '^[a-z][a-z0-9_-]{0,63}$';
export const REF_PATTERN = '^[a-z][a-z0-9_-]{0,63}(\\.[a-z][a-z0-9_-]{0,63})?$';
/** Seeds stay exact integers in JavaScript (replicates add to them). */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;
export const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu', 'webgpu'];

export const nodeSchema = {
  type: 'object',
  required: ['kind'],
  additionalProperties: false,
  properties: {
    kind: { type: 'string', description: 'node kind (see nodes/index.ts)' },
    description: { type: 'string' },
    params: { type: 'object', description: 'parameters of the kind (defaults applied)' },
    in: {
      type: 'object',
      description: 'input port → "node" or "node.port" (a list of them for ports that take several)',
      additionalProperties: {
        anyOf: [{ type: 'string', pattern: REF_PATTERN }, { type: 'array', minItems: 1, items: { type: 'string', pattern: REF_PATTERN } }],
      },
    },
    cache: { type: 'boolean', description: 'false: do not store this output; consecutive uncached stream nodes run fused' },
    backend: { type: 'string', enum: BACKENDS, description: 'model backend for this node' },
    resources: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      description: 'what a job of this node asks a cluster for (--executor slurm); defaults per kind in engine/scale/slurm/resources.ts',
      properties: {
        cpus: { type: 'integer', minimum: 1, maximum: 4096, description: 'CPU cores (sbatch --cpus-per-task)' },
        mem: { type: 'string', pattern: '^[1-9][0-9]{0,8}[KMGT]?$', description: 'memory, e.g. 4G or 500M (sbatch --mem)' },
        gpus: { type: 'integer', minimum: 0, maximum: 64, description: 'GPUs (sbatch --gres=gpu:N)' },
        time: { type: 'string', pattern: '^([0-9]{1,4}-)?[0-9]{1,6}(:[0-9]{1,2}){0,2}$', description: 'time limit as Slurm writes it: minutes, MM:SS, HH:MM:SS or D-HH:MM:SS (sbatch --time)' },
      },
    },
  },
} as const;

export const graphSchema = {
  type: 'object',
  required: ['name', 'nodes'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: MAX_NAME, pattern: NAME_PATTERN, description: 'graph name (runs are grouped by it)' },
    description: { type: 'string' },
    extends: { type: 'string', description: 'a graph file this one is merged over (relative path)' },
    seed: { type: 'integer', minimum: 0, maximum: MAX_SEED, default: 0, description: 'seed of every random node (at most 2^53 - 1, so that seed + replicate stays exact)' },
    replicates: { type: 'integer', minimum: 1, maximum: 100, description: 'rerun random nodes under this many seeds (seed, seed+1, …); ctflow sweep' },
    sweep: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      maxProperties: 1,
      description: 'variants of this graph run by ctflow sweep: a grid over paths, or named variants',
      properties: {
        grid: { type: 'object', minProperties: 1, additionalProperties: { type: 'array', minItems: 1 }, description: '"node.params.key": [values…]; every combination is a variant' },
        variants: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['name', 'set'],
            additionalProperties: false,
            properties: { name: { type: 'string', maxLength: 64, pattern: NAME_PATTERN }, set: { type: 'object', description: '"node.params.key": value' } },
          },
        },
      },
    },
    nodes: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: ID_PATTERN },
      additionalProperties: nodeSchema,
    },
  },
} as const;
