// The ctflow command line. Exit codes: 0 success, 1 a failed run, 2 an invalid graph or usage.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GraphError, UsageError } from './errors.js';
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
      console.error(`ctflow ${name}: ${(e as Error).message}\n\n${helpOf(cmd)}`);
      return 2;
    }
    console.error(`ctflow ${name}: ${(e as Error).stack ?? e}`);
    return 1;
  }
}

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
