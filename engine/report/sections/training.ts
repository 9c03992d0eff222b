// Training curves: every `history` output (cnn-trainer, lstm, swin): train and validation loss,
// and the validation macro-F1 and accuracy, per epoch; the selected (best) epoch ringed.
import { figure, type Section } from '../html.js';
import type { Row, RunData } from '../run-data.js';
import { trainingSpec } from '../specs.js';
import { toSvg } from '../vega.js';

const COLUMNS = ['epoch', 'train_loss', 'val_loss', 'val_f1', 'val_accuracy', 'best'];
const LOSS: [string, string][] = [['train_loss', 'train'], ['val_loss', 'validation']];
const SCORES: [string, string][] = [['val_f1', 'macro-F1'], ['val_accuracy', 'accuracy']];

export async function trainingSection(data: RunData): Promise<Section | undefined> {
  const loss: Row[] = [], scores: Row[] = [];
  for (const ref of data.outputsOfType('history')) {
    const rows = await data.rows(ref, COLUMNS);
    for (const r of rows ?? []) {
      const long = (series: [string, string][]) => series
        .filter(([c]) => r[c] !== null && r[c] !== undefined)
        .map(([c, name]) => ({ node: ref.node, epoch: r.epoch, series: name, value: r[c], best: r.best === 1 }));
      loss.push(...long(LOSS));
      scores.push(...long(SCORES));
    }
  }
  if (!loss.length) return undefined;
  const charts = [figure(await toSvg(trainingSpec(loss, 'Loss', 'loss')), 'Training and validation loss per epoch.')];
  if (scores.length) charts.push(figure(await toSvg(trainingSpec(scores, 'Validation scores', 'score')), 'Validation macro-F1 and accuracy per epoch.'));
  return {
    id: 'training',
    title: 'Training curves',
    html: `<p>One line per model node; the ringed point is the epoch whose weights were kept.</p><div class="charts">${charts.join('')}</div>`,
  };
}
