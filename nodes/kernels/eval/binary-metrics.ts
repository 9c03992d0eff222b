// Binary classification metrics over scans: confusion matrix at a threshold, sensitivity,
// specificity, macro-F1 (the mean of the F1 of each class, as the COV19-CT-DB challenge scores),
// accuracy, ROC AUC (Mann–Whitney, ties counted half) and ROC points.

export interface Scored { label: number; prob: number }

export interface BinaryMetrics {
  n: number; tp: number; fp: number; tn: number; fn: number;
  sensitivity: number; specificity: number; macro_f1: number; accuracy: number; auc: number;
}

export function binaryMetrics(xs: readonly Scored[], threshold = 0.5): BinaryMetrics {
  let tp = 0, fp = 0, tn = 0, fn = 0;
  for (const { label, prob } of xs) {
    const yes = prob >= threshold;
    if (label === 1) yes ? tp++ : fn++;
    else yes ? fp++ : tn++;
  }
  const ratio = (a: number, b: number) => (b === 0 ? NaN : a / b);
  const f1 = (t: number, f1p: number, f1n: number) => ratio(2 * t, 2 * t + f1p + f1n);
  const f1pos = f1(tp, fp, fn);
  const f1neg = f1(tn, fn, fp);
  return {
    n: xs.length, tp, fp, tn, fn,
    sensitivity: ratio(tp, tp + fn),
    specificity: ratio(tn, tn + fp),
    macro_f1: (nz(f1pos) + nz(f1neg)) / 2,
    accuracy: ratio(tp + tn, xs.length),
    auc: auc(xs),
  };
}

/** F1 of a class with no true, predicted or actual member counts as 0 (sklearn's zero_division=0). */
function nz(x: number): number {
  return Number.isNaN(x) ? 0 : x;
}

export function auc(xs: readonly Scored[]): number {
  const pos = xs.filter((x) => x.label === 1).map((x) => x.prob);
  const neg = xs.filter((x) => x.label !== 1).map((x) => x.prob);
  if (!pos.length || !neg.length) return NaN;
  const all = [...pos.map((p) => ({ p, pos: true })), ...neg.map((p) => ({ p, pos: false }))].sort((a, b) => a.p - b.p);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j].p === all[i].p) j++;
    const mid = (i + j + 1) / 2; // average 1-based rank of the tie group
    for (let k = i; k < j; k++) if (all[k].pos) rankSum += mid;
    i = j;
  }
  return (rankSum - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

/** ROC points (fpr, tpr) at every distinct score, from (0,0) to (1,1). */
export function rocPoints(xs: readonly Scored[]): { threshold: number; fpr: number; tpr: number }[] {
  const P = xs.filter((x) => x.label === 1).length;
  const N = xs.length - P;
  const sorted = [...xs].sort((a, b) => b.prob - a.prob);
  const out = [{ threshold: Infinity, fpr: 0, tpr: 0 }];
  let tp = 0, fp = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i].label === 1) tp++;
    else fp++;
    if (i === sorted.length - 1 || sorted[i + 1].prob !== sorted[i].prob) {
      out.push({ threshold: sorted[i].prob, fpr: N ? fp / N : 0, tpr: P ? tp / P : 0 });
    }
  }
  return out;
}
