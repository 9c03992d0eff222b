// Headline metrics of the Runs page, chosen from what the records hold: the evaluator's macro-F1,
// accuracy, AUC, sensitivity and specificity (those of them some run recorded), per split. A run's
// value is its best model's on that split; a sweep's is its best variant's mean over replicates
// (per model), so that one lucky seed does not stand for the sweep.
import { columnsOf } from '../../engine/compare.js';
import type { MetricRow } from '../../engine/metrics.js';
import type { RunRecord } from '../../engine/runs.js';

/** Metric name → column title, in column order (all higher-is-better). */
export const HEADLINE_METRICS: ReadonlyMap<string, string> = new Map([['macro_f1', 'macro-F1'], ['accuracy', 'accuracy'], ['auc', 'AUC'], ['sensitivity', 'sensitivity'], ['specificity', 'specificity']]);

/** Splits in the order the "auto" choice tries them. */
const SPLIT_ORDER = ['test', 'validation', 'train'];

/** The best value per `split metric` and which model (a sweep's: variant · model) gave it. */
export type Headline = Record<string, { value: number; model: string }>;

export interface Shown { value: number; model: string; split: string }

const keyOf = (split: string, metric: string) => `${split} ${metric}`;

/** A run's headline: per split and headline metric, the best model's value. */
export function runHeadline(metrics: MetricRow[]): Headline {
  const out: Headline = {};
  for (const m of metrics) {
    if (!HEADLINE_METRICS.has(m.metric) || !Number.isFinite(m.value)) continue;
    const k = keyOf(m.split, m.metric);
    if (!out[k] || m.value > out[k].value) out[k] = { value: m.value, model: m.model };
  }
  return out;
}

/** A sweep's headline: per split and metric, the best (variant, model) by its mean over the variant's replicates. */
export function sweepHeadline(runs: RunRecord[]): Headline {
  const sums = new Map<string, Map<string, { sum: number; n: number }>>();
  for (const { label, runs: reps } of columnsOf(runs)) {
    for (const m of reps.flatMap((r) => r.metrics)) {
      if (!HEADLINE_METRICS.has(m.metric) || !Number.isFinite(m.value)) continue;
      const k = keyOf(m.split, m.metric), who = `${label} · ${m.model}`;
      const byWho = sums.get(k) ?? sums.set(k, new Map()).get(k)!;
      const s = byWho.get(who) ?? byWho.set(who, { sum: 0, n: 0 }).get(who)!;
      s.sum += m.value;
      s.n++;
    }
  }
  const out: Headline = {};
  for (const [k, byWho] of sums) {
    for (const [who, { sum, n }] of byWho) if (!out[k] || sum / n > out[k].value) out[k] = { value: sum / n, model: who };
  }
  return out;
}

/** The value of `metric` shown for `split` ("": the run's first split of test, validation and
 * train that holds any headline metric, for every column alike). */
export function shown(h: Headline, metric: string, split: string): Shown | undefined {
  const s = split || SPLIT_ORDER.find((x) => Object.keys(h).some((k) => k.startsWith(`${x} `)));
  const v = s === undefined ? undefined : h[keyOf(s, metric)];
  return v && { ...v, split: s! };
}

/** The headline metrics and splits these headlines hold, in column order. */
export function headlineColumns(hs: Headline[]): { metrics: string[]; splits: string[] } {
  const metrics = new Set<string>(), splits = new Set<string>();
  for (const h of hs) {
    for (const k of Object.keys(h)) {
      const at = k.lastIndexOf(' ');
      splits.add(k.slice(0, at));
      metrics.add(k.slice(at + 1));
    }
  }
  const rank = (s: string) => (SPLIT_ORDER.includes(s) ? SPLIT_ORDER.indexOf(s) : SPLIT_ORDER.length);
  return { metrics: [...HEADLINE_METRICS.keys()].filter((m) => metrics.has(m)), splits: [...splits].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1)) };
}
