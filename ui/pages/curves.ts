// Curves of several runs in one chart (Vega-Lite, drawn by the client): training loss of every
// `history` output, and ROC points of every `roc` output per split, one colour per run and node.
import type { Row, RunData } from '../../engine/report/run-data.js';
import { chart } from '../server/layout.js';

const CONFIG = { font: 'system-ui, sans-serif', view: { stroke: '#ddd' }, legend: { labelLimit: 360 } };

export async function trainingOverlay(data: (RunData | undefined)[], labels: string[]): Promise<string> {
  const rows: Row[] = [];
  for (const [i, d] of data.entries()) {
    for (const ref of d?.outputsOfType('history') ?? []) {
      for (const r of (await d!.rows(ref, ['epoch', 'train_loss', 'val_loss']).catch(() => undefined)) ?? []) {
        for (const series of ['train_loss', 'val_loss']) {
          if (r[series] !== null && r[series] !== undefined) rows.push({ line: `${labels[i]} · ${ref.node}`, series: series === 'train_loss' ? 'train' : 'validation', epoch: r.epoch, value: r[series] });
        }
      }
    }
  }
  if (!rows.length) return '';
  return chart({
    title: 'Loss per epoch', width: 460, height: 260, config: CONFIG, data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: 'loss', scale: { zero: false } },
      color: { field: 'line', type: 'nominal', title: 'run · node' },
      strokeDash: { field: 'series', type: 'nominal', title: 'series' },
      detail: { field: 'series' },
    },
  }, 'Training (solid) and validation (dashed) loss of every model node of every run.');
}

export async function rocOverlay(data: (RunData | undefined)[], labels: string[]): Promise<string> {
  const bySplit = new Map<string, Row[]>();
  for (const [i, d] of data.entries()) {
    for (const ref of d?.outputsOfType('roc') ?? []) {
      ((await d!.rows(ref, ['model', 'split', 'fpr', 'tpr']).catch(() => undefined)) ?? []).forEach((r, k) => {
        const split = String(r.split);
        (bySplit.get(split) ?? bySplit.set(split, []).get(split)!).push({ line: `${labels[i]} · ${r.model}`, fpr: r.fpr, tpr: r.tpr, k });
      });
    }
  }
  return [...bySplit].map(([split, rows]) => chart({
    title: `ROC, ${split}`, width: 300, height: 300, config: CONFIG, data: { values: rows },
    mark: { type: 'line' },
    encoding: {
      x: { field: 'fpr', type: 'quantitative', title: 'false positive rate', scale: { domain: [0, 1] } },
      y: { field: 'tpr', type: 'quantitative', title: 'true positive rate', scale: { domain: [0, 1] } },
      color: { field: 'line', type: 'nominal', title: 'run · model' },
      order: { field: 'k', type: 'quantitative' },
    },
  })).join('');
}
