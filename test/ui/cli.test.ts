// `ctflow ui` as a user starts it (bin/ctflow.cjs in a fresh process): it prints its URL on
// 127.0.0.1 and serves the Runs page of --runs; a non-loopback --host prints a generated token
// that requests then need; stopped by SIGTERM, it exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { BIN } from '../helpers/cli.js';
import { uiFixture } from './fixture.js';

function start(args: string[]): Promise<{ child: ChildProcess; url: string; err: () => string }> {
  const child = spawn(process.execPath, [BIN, 'ui', '--port', '0', ...args], { env: { ...process.env, CI: 'true' } });
  let out = '', err = '';
  child.stderr!.on('data', (d) => { err += d; });
  return new Promise((done, fail) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /ctflow ui: (\S+)/.exec(out);
      if (m) done({ child, url: m[1], err: () => err });
    });
    child.on('exit', (code) => fail(new Error(`ctflow ui exited ${code}: ${err}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => done(code));
    child.kill('SIGTERM');
  });
}

describe('ctflow ui (command line)', () => {
  it('serves the runs of --runs on loopback and prints the URL', async () => {
    const { runsDir, runs } = await uiFixture();
    const { child, url } = await start(['--runs', runsDir]);
    try {
      expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const html = await (await fetch(url)).text();
      for (const id of runs) expect(html).to.include(`data-run="${id}"`);
    } finally {
      expect(await stop(child)).to.equal(0);
    }
  });

  it('on a non-loopback host prints a generated token and refuses requests without it', async () => {
    const { runsDir } = await uiFixture();
    const { child, url, err } = await start(['--runs', runsDir, '--host', '0.0.0.0']);
    try {
      expect(err()).to.include('is not loopback: requests need this token');
      const token = new URL(url).searchParams.get('token')!;
      expect(token).to.have.length.greaterThan(20);
      const port = new URL(url).port;
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).to.equal(401);
      expect((await fetch(`http://127.0.0.1:${port}/?token=${token}`)).status).to.equal(200);
    } finally {
      await stop(child);
    }
  });

  it('refuses a bad port with exit 2', async () => {
    const code = await new Promise<number | null>((done) => spawn(process.execPath, [BIN, 'ui', '--port', 'eighty']).on('exit', done));
    expect(code).to.equal(2);
  });
});
