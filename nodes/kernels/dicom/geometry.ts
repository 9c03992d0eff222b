// Slice order and spacing of one series from its geometry: ImagePositionPatient projected on the
// slice normal (row cosines × column cosines of ImageOrientationPatient). InstanceNumber is only
// a tie-break and the fallback when the geometry is missing, since it can run backwards or jump.

export interface Placed {
  file: string;
  /** ImagePositionPatient (x, y, z) in mm. */
  position: number[] | null;
  /** ImageOrientationPatient: row cosines then column cosines. */
  orientation: number[] | null;
  instanceNumber: number | null;
}

export interface Ordering {
  /** Indexes into the input, in slice order (ascending position along the normal). */
  order: number[];
  /** Position of each ordered slice along the normal (mm); null without geometry. */
  positions: (number | null)[];
  /** Median gap between consecutive positions (mm); null for one slice or no geometry. */
  spacing: number | null;
  /** Things worth telling the user (uneven gaps, duplicate positions, no geometry). */
  warnings: string[];
}

/** Orientations within this (per component) count as parallel. */
const ORIENTATION_TOLERANCE = 1e-3;

export function sliceNormal(o: readonly number[]): [number, number, number] {
  return [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]];
}

export function orderSlices(slices: readonly Placed[]): Ordering {
  const order = slices.map((_, i) => i);
  const byNumber = (a: number, b: number) =>
    (slices[a].instanceNumber ?? Infinity) - (slices[b].instanceNumber ?? Infinity) ||
    (slices[a].file < slices[b].file ? -1 : slices[a].file > slices[b].file ? 1 : 0);
  if (slices.some((s) => !s.position || !s.orientation)) {
    order.sort(byNumber);
    const warnings = slices.length > 1
      ? ['some slices lack ImagePositionPatient or ImageOrientationPatient: ordered by InstanceNumber, positions unknown']
      : [];
    return { order, positions: order.map(() => null), spacing: null, warnings };
  }
  const first = slices[0].orientation!;
  const odd = slices.find((s) => s.orientation!.some((v, k) => Math.abs(v - first[k]) > ORIENTATION_TOLERANCE));
  if (odd) {
    throw new Error(`slices are not parallel: ${slices[0].file} has ImageOrientationPatient [${first.join(', ')}] ` +
      `but ${odd.file} has [${odd.orientation!.join(', ')}] (several stacks in one series?)`);
  }
  const n = sliceNormal(first);
  const along = slices.map((s) => s.position![0] * n[0] + s.position![1] * n[1] + s.position![2] * n[2]);
  order.sort((a, b) => along[a] - along[b] || byNumber(a, b));
  const positions = order.map((i) => along[i]);
  const gaps = positions.slice(1).map((p, i) => p - positions[i]);
  if (gaps.length === 0) return { order, positions, spacing: null, warnings: [] };
  const spacing = median(gaps);
  const warnings: string[] = [];
  const same = gaps.filter((g) => g < 1e-4).length;
  if (same > 0) warnings.push(`${same} slice(s) share a position with another (several acquisitions in one series?)`);
  const lo = Math.min(...gaps);
  const hi = Math.max(...gaps);
  if (hi - lo > 0.1 * spacing + 1e-3) {
    warnings.push(`uneven slice gaps from ${round3(lo)} to ${round3(hi)} mm (median ${round3(spacing)}): slices missing?`);
  }
  return { order, positions, spacing, warnings };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
