import type { Command } from './common.js';
import { dagCommand } from './dag.js';
import { runCommand } from './run.js';
import { runsCommand } from './runs.js';
import { statusCommand } from './status.js';
import { validateCommand } from './validate.js';

export type { Command };

export const COMMANDS: Record<string, Command> = Object.fromEntries(
  [runCommand, statusCommand, validateCommand, dagCommand, runsCommand].map((c) => [c.name, c]),
);
