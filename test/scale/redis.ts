// A Redis for the scale-out tests and bench: $CTFLOW_TEST_REDIS (CI starts one with
// .ci/redis.sh), else a throwaway redis-server on a free port when one is installed. Without
// either the tests skip, saying why, except under CI=true, where they fail: CI never skips them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface TestRedis { url: string; stop(): Promise<void> }

const HOW = 'set CTFLOW_TEST_REDIS=redis://127.0.0.1:PORT (e.g. from .ci/redis.sh start) or install redis-server (apt-get install redis-server)';

/** A Redis to use, or the reason there is none (a skip; thrown under CI=true). */
export async function testRedis(): Promise<TestRedis | { skip: string }> {
  const given = process.env.CTFLOW_TEST_REDIS;
  if (given) {
    await ping(given, 5000);
    return { url: given, stop: async () => {} };
  }
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    const why = `no Redis for the scale-out tests: ${HOW}`;
    if (process.env.CI === 'true') throw new Error(`${why} (CI=true: these tests must run)`);
    return { skip: why };
  }
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  await ping(url, 10_000);
  return { url, stop: () => stopServer(server) };
}

/** testRedis() for a mocha before(): the Redis, or the suite skipped with the reason printed. */
export async function redisOrSkip(ctx: Mocha.Context): Promise<TestRedis> {
  const r = await testRedis();
  if ('skip' in r) {
    console.log(`      skipped: ${r.skip}`);
    ctx.skip();
  }
  return r as TestRedis;
}

async function ping(url: string, withinMs: number): Promise<void> {
  const until = Date.now() + withinMs;
  for (;;) {
    // One attempt per loop: no reconnecting in the background.
    const c = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    c.on('error', () => {}); // reported through the failing connect or ping below
    try {
      await c.connect();
      if ((await c.ping()) === 'PONG') return;
    } catch (e) {
      if (Date.now() > until) throw new Error(`Redis at ${url} does not answer PING: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      c.disconnect();
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    }).on('error', reject);
  });
}

function stopServer(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null) return resolve();
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
  });
}
