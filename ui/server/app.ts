// The run browser's routes (Hono). Read-only: every route is a GET that reads run records and
// cache entries; run ids are checked as ids (never used as paths as given), the bundled client
// assets are served from a fixed list. A page that fails says why in the page, with its status.
import { Hono, type Context } from 'hono';
import { comparePage } from '../pages/compare.js';
import { graphPage, graphsPage, graphState } from '../pages/graph.js';
import { runPage, runState } from '../pages/run.js';
import { runsPage } from '../pages/runs.js';
import { scanPage } from '../pages/scan.js';
import { scansPage } from '../pages/scans.js';
import { asset } from './assets.js';
import { Refused, type UiContext } from './context.js';
import { escapeHtml, layout } from './layout.js';
import { runData } from './run-data.js';
import { runId, selectedRuns, type Selection } from './selection.js';
import { LUNG_WINDOW, thumbnail } from './thumbs.js';

/** Only this server's own scripts, styles and images; Vega's expression code needs eval. */
const CSP = "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

export function createApp(ctx: UiContext): Hono {
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    c.header('content-security-policy', CSP);
    c.header('x-content-type-options', 'nosniff');
    if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
  });

  app.get('/assets/:name', (c) => {
    const found = asset(c.req.param('name'));
    if (!found) throw new Refused(404, `no asset "${c.req.param('name')}"`);
    const cache = c.req.query('v') === found.version ? 'public, max-age=31536000, immutable' : 'no-cache';
    return c.body(new Uint8Array(found.body), 200, { 'content-type': found.type, 'cache-control': cache });
  });

  app.get('/', async (c) => c.html(await runsPage(ctx.index, { q: c.req.query('q'), status: c.req.query('status'), kind: c.req.query('kind'), split: c.req.query('split'), sort: c.req.query('sort'), dir: c.req.query('dir'), page: c.req.query('page') })));
  app.get('/sweeps', (c) => c.redirect('/?kind=sweep'));
  app.get('/run/:id', async (c) => {
    const page = await runPage(ctx, runId(c.req.param('id')));
    return typeof page === 'string' ? c.html(page) : page;
  });
  app.get('/run/:id/state', (c) => c.json(runState(ctx, runId(c.req.param('id')))));
  app.get('/graphs', async (c) => c.html(await graphsPage(ctx)));
  app.get('/graph/:name', async (c) => c.html(await graphPage(ctx, c.req.param('name'))));
  app.get('/graph/:name/state', async (c) => c.json(await graphState(ctx, c.req.param('name'))));
  const selection = (c: Context): Selection => ({ run: c.req.queries('run'), sweep: c.req.queries('sweep') });
  app.get('/compare', (c) => comparePage(ctx, selection(c)));
  app.get('/scans', (c) => scansPage(ctx, { ...selection(c), filter: c.req.query('filter'), split: c.req.query('split'), label: c.req.query('label') }));
  app.get('/scan', async (c) => c.html(await scanPage(ctx, selection(c), c.req.query('scan'), { level: c.req.query('level'), width: c.req.query('width') })));
  app.get('/thumb', async (c) => {
    const [record] = selectedRuns(ctx, { run: c.req.queries('run') }, 1);
    const data = runData(ctx, record);
    const scan = c.req.query('scan');
    if (!data || !scan) throw new Refused(404, 'no slices: name a run with a graph.json and a scan');
    const num = (s: string | undefined, d: number) => (s !== undefined && Number.isFinite(Number(s)) ? Number(s) : d);
    const png = await thumbnail(data, scan, Math.max(0, Math.floor(num(c.req.query('i'), 0))), num(c.req.query('level'), LUNG_WINDOW.level), Math.max(1, num(c.req.query('width'), LUNG_WINDOW.width)));
    return c.body(new Uint8Array(png), 200, { 'content-type': 'image/png' });
  });

  app.notFound((c) => c.html(layout('Not found', `<p class="problem">Nothing at ${escapeHtml(c.req.path)}.</p>`), 404));
  app.onError((e, c: Context) => {
    const status = e instanceof Refused ? e.status : 500;
    if (c.req.header('accept')?.includes('application/json')) return c.json({ error: e.message }, status);
    return c.html(layout(status === 500 ? 'Error' : 'Refused', `<p class="problem">${escapeHtml(e.message)}</p>`), status);
  });
  return app;
}
