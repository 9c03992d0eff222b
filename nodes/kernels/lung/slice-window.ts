// Slice selection (paper eq. 4): the contiguous window of n_c = max(1, ⌊fraction·n⌋) slices with
// the largest summed lung area, the first one on ties; or, for the fixed-percentage baseline the
// paper argues against, the centred window of the same length. `margin` slices at both ends are
// never chosen (the margin shrinks when the scan is too short to leave one slice).

export type WindowStrategy = 'area' | 'center';

export interface SliceWindow {
  /** First slice (position in slice order), inclusive. */
  start: number;
  /** End, exclusive. */
  end: number;
  /** Summed area of the window. */
  sum: number;
}

export function sliceWindow(areas: ArrayLike<number>, fraction: number, strategy: WindowStrategy, margin = 0): SliceWindow {
  const n = areas.length;
  if (n === 0) return { start: 0, end: 0, sum: 0 };
  const m = Math.min(margin, (n - 1) >> 1);
  const nc = Math.min(Math.max(1, Math.floor(fraction * n + 1e-9)), n - 2 * m);
  let start = m + ((n - 2 * m - nc) >> 1);
  if (strategy === 'area') {
    let sum = 0;
    for (let i = m; i < m + nc; i++) sum += areas[i];
    let best = sum;
    start = m;
    for (let s = m + 1; s + nc <= n - m; s++) {
      sum += areas[s + nc - 1] - areas[s - 1];
      if (sum > best) { best = sum; start = s; }
    }
  }
  let sum = 0;
  for (let i = start; i < start + nc; i++) sum += areas[i];
  return { start, end: start + nc, sum };
}
