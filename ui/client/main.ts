// The run browser's script on every page (/assets/app.js): toggles rows of params that are the
// same, and polls a state URL to update a page while a run is in progress. Charts are drawn by
// charts.ts, loaded only by pages that have one.

function toggles(): void {
  const box = document.querySelector<HTMLInputElement>('#show-all');
  if (!box) return;
  const apply = () => document.body.classList.toggle('show-all', box.checked);
  box.addEventListener('change', apply);
  apply();
}

/** Elements with data-poll=URL: fetch it every 2 s; reload the page once data-poll-until turns true,
 * fill [data-field] elements inside with the values it reports, and recolour DAG boxes. */
function poll(): void {
  for (const el of document.querySelectorAll<HTMLElement>('[data-poll]')) {
    const tick = async () => {
      const res = await fetch(el.dataset.poll!, { headers: { accept: 'application/json' } });
      if (res.ok) {
        const state = (await res.json()) as Record<string, unknown>;
        if (el.dataset.pollUntil && state[el.dataset.pollUntil] === true) return location.reload();
        for (const f of el.querySelectorAll<HTMLElement>('[data-field]')) {
          const v = state[f.dataset.field!];
          if (v !== undefined) f.textContent = String(v);
        }
        // DAG boxes (svg.dag): recoloured by the state given for them (live:ID), else, on a
        // graph page, by what the node would do now.
        for (const g of el.querySelectorAll<SVGGElement>('.dag-node')) {
          const live = state[`live:${g.dataset.node}`], v = state[`node:${g.dataset.node}`];
          if (typeof live === 'string') g.dataset.live = live;
          else if (typeof v === 'string') g.dataset.live = v.startsWith('cached') ? 'cached' : v.startsWith('computing') ? 'computing' : 'run';
        }
      }
      setTimeout(tick, 2000);
    };
    setTimeout(tick, 2000);
  }
}

toggles();
poll();
