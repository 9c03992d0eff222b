// `ctflow ui`: serve the read-only run browser (ui/) over the runs directory. Loopback by default;
// any other host needs a token (given, or generated and printed), checked on every request.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { UsageError } from '../errors.js';
import { runsDir, runsOption, type Command } from './common.js';

export const uiCommand: Command = {
  name: 'ui',
  usage: '[--port N] [--host H] [--token T] [--open]',
  summary: 'serve a read-only browser over recorded runs: runs, compare, scans, run reports, graphs',
  options: {
    ...runsOption,
    port: { type: 'string', arg: 'N', help: 'port to listen on (default 4173; 0 picks a free one)' },
    host: { type: 'string', arg: 'H', help: 'address to bind (default 127.0.0.1); another than loopback needs a token' },
    token: { type: 'string', arg: 'T', help: 'require this token on every request (generated when --host is not loopback)' },
    open: { type: 'boolean', help: 'open the URL in the default browser' },
  },
  async run(opts) {
    const port = Number(opts.port ?? 4173);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got "${opts.port}"`);
    const host = (opts.host as string | undefined) ?? '127.0.0.1';
    const { isLoopback } = await import('../../ui/server/safety.js');
    let token = opts.token as string | undefined;
    if (token !== undefined && token.length < 8) throw new UsageError('--token must be at least 8 characters');
    if (!token && !isLoopback(host)) {
      token = randomBytes(18).toString('base64url');
      console.error(`--host ${host} is not loopback: requests need this token (pass --token to choose it)`);
    }
    const { serve } = await import('../../ui/server/listen.js');
    const { registry } = await import('../../nodes/index.js');
    const serving = await serve({ runsDir: runsDir(opts), registry, host, port, token });
    console.log(`ctflow ui: ${serving.url}`);
    if (opts.open) openUrl(serving.url);
    await new Promise<void>((done) => {
      const stop = () => { void serving.close().then(done); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};

function openUrl(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  spawn(cmd, [url], { stdio: 'ignore', detached: true }).on('error', () => console.error(`could not start ${cmd}; open ${url} yourself`)).unref();
}
