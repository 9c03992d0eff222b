import type { Command } from './common.js';
import { compareCommand } from './compare.js';
import { dagCommand } from './dag.js';
import { exportCommand } from './export.js';
import { gcCommand } from './gc.js';
import { jobCommand } from './job.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { runsCommand } from './runs.js';
import { schemaCommand } from './schema.js';
import { statusCommand } from './status.js';
import { sweepCommand } from './sweep.js';
import { uiCommand } from './ui.js';
import { validateCommand } from './validate.js';
import { workerCommand } from './worker.js';

export type { Command };

export const COMMANDS: Record<string, Command> = Object.fromEntries(
  [runCommand, sweepCommand, statusCommand, validateCommand, dagCommand, runsCommand, compareCommand, reportCommand, exportCommand, gcCommand, schemaCommand, workerCommand, jobCommand, uiCommand].map((c) => [c.name, c]),
);
