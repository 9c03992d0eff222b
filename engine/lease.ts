// Leases on cache keys, so that two processes sharing a cache compute each key once: the
// second waits and then reuses the entry. A lease is a file created exclusively (O_EXCL, which
// also holds on NFS v3+) naming its holder (host, pid) and an expiry that the holder renews while
// it works. A lease whose holder died never blocks anyone: it expires, and on the same host a
// dead pid is noticed at once.
import { hostname } from 'node:os';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface LeaseInfo { host: string; pid: number; expires: number; token: string }

export const LEASE_MS = 30_000;

export class Leases {
  private readonly held = new Map<string, { token: string; timer: NodeJS.Timeout }>();

  constructor(private readonly dir: string, private readonly ttlMs = LEASE_MS) {
    mkdirSync(dir, { recursive: true });
  }

  private file(key: string): string {
    return join(this.dir, `${key}.lease`);
  }

  /** Take the lease on `key` if nobody live holds it. */
  tryAcquire(key: string): boolean {
    const info: LeaseInfo = { host: hostname(), pid: process.pid, expires: Date.now() + this.ttlMs, token: randomBytes(8).toString('hex') };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(this.file(key), JSON.stringify(info), { flag: 'wx' });
        const timer = setInterval(() => this.renew(key, info), this.ttlMs / 3);
        timer.unref();
        this.held.set(key, { token: info.token, timer });
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const current = this.read(key);
        if (current && !stale(current)) return false;
        this.breakStale(key, current);
      }
    }
    return false;
  }

  /** Wait until `key` is free of live holders (someone else finished or died). */
  async waitFree(key: string, pollMs = 200): Promise<void> {
    for (;;) {
      const current = this.read(key);
      if (!current || stale(current)) return;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  release(key: string): void {
    const h = this.held.get(key);
    if (!h) return;
    clearInterval(h.timer);
    this.held.delete(key);
    if (this.read(key)?.token === h.token) rmSync(this.file(key), { force: true });
  }

  releaseAll(): void {
    for (const key of [...this.held.keys()]) this.release(key);
  }

  holder(key: string): LeaseInfo | undefined {
    return this.read(key);
  }

  private renew(key: string, info: LeaseInfo) {
    if (this.read(key)?.token !== info.token) return;
    const tmp = `${this.file(key)}.${info.token}`;
    writeFileSync(tmp, JSON.stringify({ ...info, expires: Date.now() + this.ttlMs }));
    renameSync(tmp, this.file(key));
  }

  private read(key: string): LeaseInfo | undefined {
    try {
      return JSON.parse(readFileSync(this.file(key), 'utf8')) as LeaseInfo;
    } catch {
      return undefined;
    }
  }

  /** Remove a stale lease, unless someone replaced it meanwhile. */
  private breakStale(key: string, seen: LeaseInfo | undefined) {
    const aside = `${this.file(key)}.broken.${randomBytes(4).toString('hex')}`;
    try {
      renameSync(this.file(key), aside);
    } catch {
      return;
    }
    const moved = (() => {
      try {
        return JSON.parse(readFileSync(aside, 'utf8')) as LeaseInfo;
      } catch {
        return undefined;
      }
    })();
    if (seen && moved && moved.token !== seen.token && !stale(moved)) renameSync(aside, this.file(key));
    else rmSync(aside, { force: true });
  }
}

/** A lease (or a live-run mark) whose holder died or stopped renewing it. */
export function stale(l: LeaseInfo): boolean {
  if (l.expires < Date.now()) return true;
  if (l.host === hostname() && l.pid !== process.pid) {
    try {
      process.kill(l.pid, 0);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
  return false;
}
