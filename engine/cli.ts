// The ctflow command line. Exit codes: 0 success, 1 a failed run, 2 an invalid graph or usage.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CorruptEntry, GraphError, printable, UsageError } from './errors.js';
import { COMMANDS, type Command } from './commands/index.js';

const GLOBAL_HELP = `ctflow — dataflow experiments for CT-scan classification

usage: ctflow <command> [options]

commands:
${Object.values(COMMANDS).map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

Run "ctflow <command> --help" for a command's options.`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(GLOBAL_HELP);
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`ctflow: unknown command "${name}"\n\n${GLOBAL_HELP}`);
    return 2;
  }
  try {
    const args = parse(cmd, rest);
    if (args.values.help) {
      console.log(helpOf(cmd));
      return 0;
    }
    return await cmd.run(args.values as Record<string, unknown>, args.positionals);
  } catch (e) {
    if (e instanceof GraphError) {
      console.error(e.message);
      return 2;
    }
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`ctflow ${name}: ${(e as Error).message.split('\n').map(printable).join('\n')}\n\n${helpOf(cmd)}`);
      return 2;
    }
    console.error(`ctflow ${name}: ${failureText(e)}`);
    if (process.env.CTFLOW_DEBUG) console.error((e as Error).stack);
    return 1;
  }
}

/** A failure no command turned into a message: what failed and where, never a stack trace. */
function failureText(e: unknown): string {
  if (e instanceof CorruptEntry) return `${e.message}; run the graph again to recompute it (the entry is a miss, never an input)`;
  const err = e as NodeJS.ErrnoException & { dest?: string };
  if (err?.code && err.syscall) {
    const at = err.path ? ` ${err.path}${err.dest ? ` → ${err.dest}` : ''}` : '';
    return printable(`cannot ${err.syscall}${at}: ${err.code} (${ERRNO_HINTS[err.code] ?? err.message})`);
  }
  return `${printable(err instanceof Error ? err.message : String(e))} (set CTFLOW_DEBUG=1 for details)`;
}

const ERRNO_HINTS: Record<string, string> = {
  ENOTDIR: 'a file stands where ctflow keeps a directory: the runs directory is damaged; move that file away',
  EISDIR: 'a directory stands where ctflow keeps a file: the runs directory is damaged; move that directory away',
  EACCES: 'permission denied: make the runs directory writable, or choose another with --runs',
  EPERM: 'operation not permitted: make the runs directory writable, or choose another with --runs',
  ENOSPC: 'no space left on the device: free space (ctflow gc) and run again',
  EROFS: 'the file system is read-only: choose another runs directory with --runs',
  ENOENT: 'no such file or directory',
  EEXIST: 'already exists',
};

function parse(cmd: Command, argv: string[]) {
  const options: ParseArgsConfig['options'] = { help: { type: 'boolean', short: 'h' } };
  for (const [k, o] of Object.entries(cmd.options)) {
    options[k] = { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) };
  }
  return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
}

function helpOf(cmd: Command): string {
  const opts = Object.entries(cmd.options).map(([k, o]) => `  --${k}${o.type === 'string' ? ` ${o.arg ?? 'VALUE'}` : ''}`.padEnd(28) + o.help);
  return `usage: ctflow ${cmd.name} ${cmd.usage}\n\n${cmd.summary}\n\noptions:\n${[...opts, '  --help'.padEnd(28) + 'show this help'].join('\n')}`;
}
