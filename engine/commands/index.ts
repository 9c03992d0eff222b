import type { Command } from './common.js';
import { dagCommand } from './dag.js';
import { exportCommand } from './export.js';
import { runCommand } from './run.js';
import { runsCommand } from './runs.js';
import { schemaCommand } from './schema.js';
import { statusCommand } from './status.js';
import { validateCommand } from './validate.js';

export type { Command };

export const COMMANDS: Record<string, Command> = Object.fromEntries(
  [runCommand, statusCommand, validateCommand, dagCommand, runsCommand, exportCommand, schemaCommand].map((c) => [c.name, c]),
);
