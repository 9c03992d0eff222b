// Per-scan data of a run, read from the cache entries its record names: the probability of each
// model per scan (mean over draws), and for one scan its lung-area curve, its window and the
// stored slices it came from. Outputs are found by port type (predictions, windows, areas,
// slices), as the report finds its sections' tables.
import type { RecordBatch } from '../../engine/arrow.js';
import type { PortRef, RunData } from '../../engine/report/run-data.js';

export interface ScanProb { scan: string; split: string; label: number | null; prob: number }

/** One column of the Scans page: a model's per-scan probabilities in one run. */
export interface ProbColumn { run: string; model: string; node: string; probs: Map<string, ScanProb> }

/** Prediction outputs of the run's models (not the evaluator's decided copies), one column per model name. */
export async function probColumns(data: RunData): Promise<ProbColumn[]> {
  const columns = new Map<string, ProbColumn & { sums: Map<string, { n: number; sum: number }> }>();
  for (const ref of data.outputsOfType('predictions')) {
    if (data.outputsOfType('metrics').some((m) => m.node === ref.node)) continue;
    await data.batches(ref, (b) => {
      const model = b.getChild('model')!, scan = b.getChild('scan_id')!, split = b.getChild('split')!, label = b.getChild('label')!, prob = b.getChild('prob')!;
      for (let i = 0; i < b.numRows; i++) {
        const name = String(model.get(i)), id = String(scan.get(i));
        const key = `${ref.node}\u0000${name}`;
        const col = columns.get(key) ?? columns.set(key, { run: data.record.id, model: name, node: ref.node, probs: new Map(), sums: new Map() }).get(key)!;
        const s = col.sums.get(id) ?? col.sums.set(id, { n: 0, sum: 0 }).get(id)!;
        s.n++;
        s.sum += Number(prob.get(i));
        const l = label.get(i);
        col.probs.set(id, { scan: id, split: String(split.get(i)), label: l === null ? null : Number(l), prob: s.sum / s.n });
      }
    }).catch(() => false);
  }
  return [...columns.values()].map(({ sums: _, ...c }) => c);
}

export interface ScanWindow { node: string; batch: number; start: number; end: number; nSlices: number; areas: { x: number; area: number }[]; slices?: PortRef }

/** Each window output's window for `scan`, the areas it was chosen from, and the stored slices upstream. */
export async function scanWindows(data: RunData, scan: string): Promise<ScanWindow[]> {
  const out: ScanWindow[] = [];
  for (const w of data.outputsOfType('windows')) {
    let found: ScanWindow | undefined;
    await data.batches(w, (b, batch) => {
      const ids = b.getChild('scan_id')!;
      for (let i = 0; i < b.numRows && !found; i++) {
        if (String(ids.get(i)) === scan) found = { node: w.node, batch, start: Number(b.getChild('start')!.get(i)), end: Number(b.getChild('end')!.get(i)), nSlices: Number(b.getChild('n_slices')!.get(i)), areas: [] };
      }
    }).catch(() => false);
    if (!found) continue;
    const areas = data.input(w.node, 'areas');
    if (areas && data.typeOf(areas) === 'areas') {
      await data.batches(areas, (b) => {
        const rows = sliceOrder(b).filter((i) => String(b.getChild('scan_id')!.get(i)) === scan);
        found!.areas = rows.map((i, x) => ({ x, area: Number(b.getChild('area')!.get(i)) }));
      }, found.batch, found.batch + 1).catch(() => false);
    }
    found.slices = sourceSlices(data, w.node);
    out.push(found);
  }
  return out;
}

/** The stored `slices` output farthest upstream of `node` (the source scan, in HU). */
function sourceSlices(data: RunData, node: string): PortRef | undefined {
  let best: PortRef | undefined;
  const seen = new Set<string>();
  const walk = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const port of Object.keys(data.graph.nodes[id]?.in ?? {})) {
      const up = data.input(id, port);
      if (!up) continue;
      if (data.typeOf(up) === 'slices' && data.stored(up)) best = up;
      walk(up.node);
    }
  };
  walk(node);
  return best;
}

/** Row indices of a per-slice batch in slice_index order. */
export function sliceOrder(b: RecordBatch): number[] {
  const index = b.getChild('slice_index')!;
  return Array.from({ length: b.numRows }, (_, i) => i).sort((x, y) => Number(index.get(x)) - Number(index.get(y)));
}

export interface ScanDraws { node: string; draws: number[][] }

/** The slice indices each stored `sequences` output (a sequence sampler) drew for `scan`, per draw. */
export async function scanSequences(data: RunData, scan: string): Promise<ScanDraws[]> {
  const out: ScanDraws[] = [];
  for (const ref of data.outputsOfType('sequences')) {
    const draws: number[][] = [];
    await data.batches(ref, (b) => {
      const ids = b.getChild('scan_id')!, slices = b.getChild('slices')!;
      for (let i = 0; i < b.numRows; i++) if (String(ids.get(i)) === scan) draws.push(Array.from(slices.get(i) as Iterable<number>, Number));
    }).catch(() => false);
    if (draws.length) out.push({ node: ref.node, draws });
  }
  return out;
}
