// ROC curves from every `roc` output (the evaluator's), one chart per split, AUC in the legend.
import { escapeHtml, figure, type Section } from '../html.js';
import type { Row, RunData } from '../run-data.js';
import { rocSpec } from '../specs.js';
import { toSvg } from '../vega.js';

export async function rocSection(data: RunData): Promise<Section | undefined> {
  const bySplit = new Map<string, Row[]>();
  for (const ref of data.outputsOfType('roc')) {
    const rows = await data.rows(ref, ['model', 'split', 'fpr', 'tpr']);
    (rows ?? []).forEach((r, i) => {
      const auc = data.record.metrics.find((m) => m.node === ref.node && m.model === r.model && m.split === r.split && m.metric === 'auc');
      const label = `${r.model}${auc ? ` (AUC ${auc.value.toFixed(3)})` : ''}`;
      const split = String(r.split);
      if (!bySplit.has(split)) bySplit.set(split, []);
      bySplit.get(split)!.push({ ...r, label, i });
    });
  }
  if (!bySplit.size) return undefined;
  const charts: string[] = [];
  for (const [split, rows] of bySplit) charts.push(figure(await toSvg(rocSpec(rows, split)), `ROC points of every model on the ${escapeHtml(split)} split.`));
  return { id: 'roc', title: 'ROC curves', html: `<div class="charts">${charts.join('')}</div>` };
}
