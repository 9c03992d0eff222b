// Barrier: runs any program (a Python trainer, say) on the node's inputs. Each input is written
// whole as <scratch>/in/<port>.arrow, the params as <scratch>/params.json; the program writes
// <scratch>/out/<port>.arrow for every declared output. The ports are declared per node in its
// params (port name → port type name); the files listed in deps are part of the cache key. Runs
// only when the user allows commands (--allow-commands). See docs/command-nodes.md.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PortType } from '../engine/ports.js';
import { defineNode, type NodeContext, type TableReader } from '../engine/types.js';
import { readOutput, writeInput } from './kernels/command/arrow-files.js';
import { describeArgv, runProgram } from './kernels/command/spawn.js';
import * as tables from './tables.js';

export interface CommandParams {
  /** The program and its arguments (numbers are passed as text); run from the working directory. */
  argv: (string | number)[];
  /** Input port → port type name (e.g. embeddings: embeddings). */
  inputs: Record<string, string>;
  /** Output port → port type name (e.g. predictions: predictions). */
  outputs: Record<string, string>;
  /** Files whose content is part of the key (the script, its modules, a config file). */
  deps: string[];
  /** Settings for the program, passed in params.json (part of the key). */
  config: Record<string, unknown>;
}

/** The port types a command can read and write, by name (those of nodes/tables.ts). */
const PORT_TYPES = new Map<string, PortType>(Object.values(tables).map((t) => [t.name, t]));
const PORT_NAME = '^[a-z][a-z0-9_-]{0,63}$';

const portsParam = (what: string) => ({
  type: 'object',
  propertyNames: { pattern: PORT_NAME },
  additionalProperties: { enum: [...PORT_TYPES.keys()].sort() },
  description: `${what} port → port type name; the file is <port>.arrow`,
});

function ports(params: CommandParams) {
  const typed = (decl: Record<string, string>) => Object.fromEntries(Object.entries(decl).map(([port, type]) => [port, PORT_TYPES.get(type)!]));
  return { inputs: typed(params.inputs), outputs: typed(params.outputs) };
}

/** The deps, resolved from the working directory; each must be a file. */
async function inputFiles(params: CommandParams): Promise<string[]> {
  return params.deps.map((dep) => {
    const file = resolve(dep);
    let isFile = false;
    try {
      isFile = statSync(file).isFile();
    } catch {
      throw new Error(`deps: "${dep}" does not exist (looked for ${file})`);
    }
    if (!isFile) throw new Error(`deps: "${dep}" is not a file (${file}); list the files themselves`);
    return file;
  });
}

async function* run(ctx: NodeContext<CommandParams>, inputs: Record<string, TableReader>) {
  const { inputs: ins, outputs: outs } = ports(ctx.params);
  const inDir = join(ctx.scratch, 'in');
  const outDir = join(ctx.scratch, 'out');
  const paramsFile = join(ctx.scratch, 'params.json');
  for (const dir of [inDir, outDir, ctx.artifacts]) mkdirSync(dir, { recursive: true });
  for (const [port, type] of Object.entries(ins)) await writeInput(join(inDir, `${port}.arrow`), inputs[port], type);
  writeFileSync(paramsFile, JSON.stringify(ctx.params, null, 2));
  ctx.progress(0, 1, 'running');
  await runProgram({
    argv: ctx.params.argv.map(String),
    cwd: process.cwd(),
    env: {
      ...process.env,
      CTFLOW_SEED: String(ctx.seed), CTFLOW_PARAMS: paramsFile,
      CTFLOW_IN_DIR: inDir, CTFLOW_OUT_DIR: outDir, CTFLOW_ARTIFACTS_DIR: ctx.artifacts,
    },
    signal: ctx.signal,
    log: ctx.log,
  }).catch(keptFiles(ctx.scratch));
  ctx.progress(1, 1);
  for (const [port, type] of Object.entries(outs)) {
    const batches = await readOutput(join(outDir, `${port}.arrow`), port, type).catch(keptFiles(ctx.scratch));
    for (const batch of batches) yield { [port]: batch };
  }
}

/** A failure names the files the program saw, kept for a rerun by hand (an abort passes as is). */
function keptFiles(scratch: string) {
  return (e: Error): never => {
    if (e.name === 'AbortError') throw e;
    throw new Error(`${e.message}\n  the program's files are kept in ${scratch} (params.json, in/, out/)`);
  };
}

/** The example copies its scan-stats input to its output with this Node.js. */
const example: CommandParams = {
  argv: [process.execPath, '-e', "const { copyFileSync } = require('node:fs'); const { join } = require('node:path'); " +
    "copyFileSync(join(process.env.CTFLOW_IN_DIR, 'stats.arrow'), join(process.env.CTFLOW_OUT_DIR, 'stats.arrow'))"],
  inputs: { stats: 'scan-stats' },
  outputs: { stats: 'scan-stats' },
  deps: [],
  config: {},
};

export default defineNode<CommandParams>(import.meta.url, {
  kind: 'command',
  version: 1,
  description: 'Runs a program on Arrow IPC files: inputs in $CTFLOW_IN_DIR/<port>.arrow, params in $CTFLOW_PARAMS, outputs read from ' +
    '$CTFLOW_OUT_DIR/<port>.arrow; ports are declared in params; the content of deps is part of the key; needs --allow-commands',
  mode: 'barrier',
  random: true,
  program: (params) => describeArgv(params.argv.map(String)),
  params: {
    argv: {
      type: 'array', minItems: 1, items: { type: ['string', 'number'], minLength: 1 },
      description: 'the program and its arguments, run from the working directory, e.g. [python3, scripts/train.py, --epochs, 3]',
    },
    inputs: { ...portsParam('input'), default: {} },
    outputs: { ...portsParam('output'), minProperties: 1 },
    deps: { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true, default: [], description: 'files whose content is part of the key (the script and what it imports), relative to the working directory' },
    config: { type: 'object', default: {}, description: 'settings for the program: params.json holds every param, these under "config"' },
  },
  required: ['argv', 'outputs'],
  example,
  // The kind's own ports are its example's; each graph node gets those its params declare.
  ...ports(example),
  ports,
  inputFiles,
  run,
});
