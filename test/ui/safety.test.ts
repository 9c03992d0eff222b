// The run browser's safety checks over plain HTTP, with request targets sent exactly as written:
// climbing or absolute paths are refused with 400, a token server refuses requests without its
// token, a loopback server refuses foreign Host names, and nothing but GET is answered.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { expect } from 'chai';
import { serveRuns, uiFixture } from './fixture.js';
import type { Serving } from '../../ui/server/listen.js';

interface Reply { status: number; body: string; cookie?: string; headers: Record<string, unknown>; chunks: number }

function get(url: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  const { hostname, port } = new URL(url);
  return new Promise((done, fail) => {
    const req = request({ host: hostname, port, path, method, headers }, (res) => {
      let body = '', chunks = 0;
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; chunks++; });
      res.on('end', () => done({ status: res.statusCode!, body, cookie: res.headers['set-cookie']?.[0], headers: res.headers, chunks }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('ctflow ui: safety', () => {
  let server: Serving;
  let runsDir: string;
  before(async () => {
    ({ runsDir } = await uiFixture());
    server = await serveRuns(runsDir);
  });
  after(() => server.close());

  it('refuses climbing and absolute paths with 400, before any file is touched', async () => {
    const { runs } = await uiFixture();
    const targets = [
      '/../../etc/passwd', '/run/..%2F..%2Fetc%2Fpasswd', '/run/%2e%2e', '/assets/..%5c..%5cpackage.json',
      '/run/%2Fetc%2Fpasswd', '//etc/passwd', `/compare?run=${runs[0]}&run=/etc/passwd`, '/scans?run=..%2Frecords',
      `/scan?run=${runs[0]}&scan=C:%5Cwindows`, '/run/a%ZZ',
    ];
    for (const t of targets) {
      const r = await get(server.url, t);
      expect(r.status, t).to.equal(400);
    }
    expect((await get(server.url, '/run/not..an-id')).status).to.equal(400);
    expect((await get(server.url, `/run/${runs[0]}`)).status).to.equal(200);
  });

  it('answers GET only and only to loopback host names', async () => {
    expect((await get(server.url, '/', {}, 'POST')).status).to.equal(405);
    expect((await get(server.url, '/', { host: 'evil.example:80' })).status).to.equal(403);
    expect((await get(server.url, '/', { host: 'localhost' })).status).to.equal(200);
  });

  it('with a token, refuses every request without it and accepts the query, the cookie or a bearer header', async () => {
    const guarded = await serveRuns(runsDir, { token: 'sekret-token-1234' });
    try {
      expect(guarded.url).to.match(/\?token=sekret-token-1234$/);
      for (const path of ['/', '/assets/app.js', '/run/x', '/graphs']) expect((await get(guarded.url, path)).status, path).to.equal(401);
      expect((await get(guarded.url, '/?token=wrong-token-12345')).status).to.equal(401);
      const first = await get(guarded.url, '/?token=sekret-token-1234');
      expect(first.status).to.equal(200);
      const cookie = first.cookie!.split(';')[0];
      expect((await get(guarded.url, '/graphs', { cookie })).status).to.equal(200);
      expect((await get(guarded.url, '/graphs', { authorization: 'Bearer sekret-token-1234' })).status).to.equal(200);
    } finally {
      await guarded.close();
    }
  });

  it('shows a corrupt and a half-written record as such; their pages load', async () => {
    const { corrupt, incomplete } = await uiFixture();
    const list = await get(server.url, '/?q=20200101');
    expect(list.status).to.equal(200);
    expect(list.body).to.match(new RegExp(`${corrupt}[\\s\\S]*?status-corrupt`));
    expect(list.body).to.include('record.json is not valid JSON');
    expect(list.body).to.match(new RegExp(`${incomplete}[\\s\\S]*?status-incomplete`));
    const page = await get(server.url, `/run/${corrupt}`);
    expect(page.status).to.equal(200);
    expect(page.body).to.include('record.json is not valid JSON');
    const live = await get(server.url, `/run/${incomplete}`);
    expect(live.body).to.include(`data-poll="/run/${incomplete}/state"`);
    expect(JSON.parse((await get(server.url, `/run/${incomplete}/state`)).body)).to.deep.include({ status: 'incomplete', recorded: false });
  });

  it('lists a corrupt record as such on the first page too (read there without the index), and ignores damaged or hostile live marks', async () => {
    const { corrupt } = await uiFixture();
    const active = join(runsDir, 'active');
    mkdirSync(active, { recursive: true });
    writeFileSync(join(active, 'ui-torn-20990101T000000-0000.json'), '{"run": "ui-torn-2099');
    writeFileSync(join(active, 'evil.json'), JSON.stringify({ run: '../../etc', startedAt: Date.now(), keys: null, host: 'h', pid: process.pid, expires: Date.now() + 60_000, token: 't' }));
    const odd = 'ui-odd-20990101T000000-0000';
    writeFileSync(join(active, `${odd}.json`), JSON.stringify({ run: odd, startedAt: Date.now(), keys: null, host: 'h', pid: process.pid, expires: Date.now() + 60_000, token: 't', progress: { graph: 'g', nodes: { a: null, b: { kind: 1 } } } }));
    try {
      const first = await get(server.url, '/');
      expect(first.status).to.equal(200);
      expect(first.body).to.match(new RegExp(`${corrupt}[\\s\\S]*?status-corrupt`));
      expect(first.body).to.not.include('ui-torn');
      expect(first.body).to.not.include('etc');
      expect((await get(server.url, '/run/ui-torn-20990101T000000-0000')).status).to.equal(404);
      expect(first.body).to.match(new RegExp(`<tr data-run="${odd}"[^>]*>.*class="status-running"`)); // listed, its malformed progress left out
      const oddPage = await get(server.url, `/run/${odd}`);
      expect(oddPage.status).to.equal(200);
      expect(oddPage.body).to.include('planning…');
    } finally {
      rmSync(join(active, 'ui-torn-20990101T000000-0000.json'));
      rmSync(join(active, 'evil.json'));
      rmSync(join(active, 'ui-odd-20990101T000000-0000.json'));
    }
  });

  it('a sweep\'s id (live while it runs) leads, once it has ended, to its runs; another unknown id is 404', async () => {
    const { sweepId, sweepRuns } = await uiFixture();
    const page = await get(server.url, `/run/${sweepId}`);
    expect(page.status).to.equal(200);
    for (const r of sweepRuns) expect(page.body).to.include(`<a href="/run/${r}">`);
    expect(page.body).to.include(`/compare?sweep=${sweepId}`);
    expect((await get(server.url, '/run/ui-none-20990101T000000-0000')).status).to.equal(404);
    expect(JSON.parse((await get(server.url, '/run/ui-none-20990101T000000-0000/state')).body)).to.deep.include({ recorded: false, settled: true });
  });

  it('streams the Scans table: chunked, without a length, every scan, the page complete', async () => {
    const { runs } = await uiFixture();
    const r = await get(server.url, `/scans?run=${runs[0]}&run=${runs[1]}`);
    expect(r.status).to.equal(200);
    expect(r.headers['transfer-encoding']).to.equal('chunked');
    expect(r.headers['content-length']).to.equal(undefined);
    expect(r.body.match(/<tr data-scan=/g)).to.have.length(8);
    expect(r.body.trimEnd()).to.match(/<\/table>\s*<\/main>\s*<\/body>\s*<\/html>$/);
  });

  it('streams Compare and the run report too: chunked, without a length, the page complete', async () => {
    const { runs, sweepId } = await uiFixture();
    for (const path of [`/compare?run=${runs[0]}&run=${runs[1]}`, `/compare?sweep=${sweepId}&run=${runs[0]}`, `/run/${runs[0]}`]) {
      const r = await get(server.url, path);
      expect(r.status, path).to.equal(200);
      expect(r.headers['transfer-encoding'], path).to.equal('chunked');
      expect(r.headers['content-length'], path).to.equal(undefined);
      expect(r.body.trimEnd(), path).to.match(/<\/main>\s*<\/body>\s*<\/html>$/);
      expect(r.body, path).to.not.include('class="problem"');
    }
    // A selection that cannot be shown is refused before anything is sent.
    expect((await get(server.url, `/compare?sweep=ui-none-20990101T000000-0000&run=${runs[0]}`)).status).to.equal(404);
    expect((await get(server.url, `/compare?run=${runs[0]}`)).status).to.equal(400);
  });

  it('lists a corrupt sweep record, and a sweep whose runs are gone, as such; Compare of either says why', async () => {
    const sweeps = join(runsDir, 'sweeps');
    const torn = 'sweep-ui-torn-20990101T000000-0000', lost = 'sweep-ui-lost-20990101T000001-0000';
    writeFileSync(join(sweeps, `${torn}.json`), '{"id": "x", "runs": [');
    writeFileSync(join(sweeps, `${lost}.json`), JSON.stringify({ id: lost, file: 'g.yaml', startedAt: '2099-01-01T00:00:01.000Z', finishedAt: '2099-01-01T00:00:09.000Z', runs: ['ui-gone-20990101T000001-0000', 'ui-gone-20990101T000001-0001'] }));
    try {
      const first = await get(server.url, '/');
      expect(first.body).to.match(new RegExp(`<tr data-run="${torn}" data-kind="sweep">.*class="status-corrupt".*sweeps/${torn}.json is not valid JSON`));
      expect(first.body).to.match(new RegExp(`<tr data-run="${lost}" data-kind="sweep">.*class="status-incomplete".*2 of its 2 run records cannot be read`));
      const listed = await get(server.url, '/?kind=sweep&status=corrupt');
      expect(listed.body.match(/<tr data-run=/g)).to.have.length(1);
      const a = await get(server.url, `/compare?sweep=${torn}`);
      expect(a.status).to.equal(400);
      expect(a.body).to.include('is not valid JSON');
      const b = await get(server.url, `/compare?sweep=${lost}`);
      expect(b.status).to.equal(404);
      expect(b.body).to.include('no run &quot;ui-gone-20990101T000001-0000&quot;');
    } finally {
      rmSync(join(sweeps, `${torn}.json`));
      rmSync(join(sweeps, `${lost}.json`));
    }
  });
});
