// Reading predictions tables (any batching) into rows, and grouping them by model and scan.
import type { TableReader } from '../../../engine/types.js';

export interface Prediction { model: string; scan_id: string; split: string; label: number | null; draw: number; prob: number }

export async function readPredictions(reader: TableReader): Promise<Prediction[]> {
  const rows: Prediction[] = [];
  for await (const b of reader) {
    const col = (n: string) => b.getChild(n)!;
    const [model, scan, split, label, draw, prob] = ['model', 'scan_id', 'split', 'label', 'draw', 'prob'].map(col);
    for (let i = 0; i < b.numRows; i++) {
      const l = label.get(i);
      rows.push({ model: String(model.get(i)), scan_id: String(scan.get(i)), split: String(split.get(i)), label: l === null ? null : Number(l), draw: Number(draw.get(i)), prob: Number(prob.get(i)) });
    }
  }
  return rows;
}

/** model → scan → that scan's rows sorted by draw (models and scans in order of appearance). */
export function byModelAndScan(rows: readonly Prediction[]): Map<string, Map<string, Prediction[]>> {
  const out = new Map<string, Map<string, Prediction[]>>();
  for (const r of rows) {
    const scans = out.get(r.model) ?? out.set(r.model, new Map()).get(r.model)!;
    (scans.get(r.scan_id) ?? scans.set(r.scan_id, []).get(r.scan_id)!).push(r);
  }
  for (const scans of out.values()) for (const rs of scans.values()) rs.sort((a, b) => a.draw - b.draw);
  return out;
}
