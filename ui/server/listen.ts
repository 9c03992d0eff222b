// The run browser's HTTP server: Node's http server in front of the Hono app, so the checks of
// ui/server/safety.ts see each request target as the client sent it (before URL normalisation
// would turn "/a/../b" into "/b"). Returns the URL to open (with the token when there is one).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Registry } from '../../engine/registry.js';
import { createApp } from './app.js';
import { UiContext } from './context.js';
import { COOKIE, foreignHost, sameToken, tokenOf, unsafeTarget } from './safety.js';

export interface ServeOptions { runsDir: string; registry: Registry; host: string; port: number; token?: string }

export interface Serving { url: string; server: Server; close(): Promise<void> }

export async function serve(opts: ServeOptions): Promise<Serving> {
  const ctx = new UiContext(opts.runsDir, opts.registry);
  const app = createApp(ctx);
  const listener = getRequestListener(app.fetch);
  const server = createServer((req, res) => {
    const refuse = (status: number, why: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${why}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(405, 'the run browser is read-only');
    const unsafe = unsafeTarget(req.url ?? '/');
    if (unsafe) return refuse(400, unsafe);
    const foreign = foreignHost(req, opts.host);
    if (foreign !== undefined) return refuse(403, `this server answers only to a loopback host name, not "${foreign}"`);
    if (opts.token) {
      const given = tokenOf(req);
      if (!sameToken(given, opts.token)) return refuse(401, 'a token is required: open the URL ctflow ui printed');
      res.setHeader('set-cookie', `${COOKIE}=${encodeURIComponent(opts.token)}; Path=/; HttpOnly; SameSite=Strict`);
    }
    void listener(req, res);
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(opts.port, opts.host, () => done());
  });
  void ctx.index.indexed(); // every record read once, in the background, for sorts and filters
  const { port } = server.address() as AddressInfo;
  const shown = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${shown}:${port}/${opts.token ? `?token=${encodeURIComponent(opts.token)}` : ''}`;
  return {
    url, server,
    close: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }),
  };
}
