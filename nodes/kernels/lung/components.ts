// 4-connected components of a packed bit image, computed on runs: each row is cut into runs of
// set (or clear) bits, runs of consecutive rows that share a column are merged with union–find.
// Work is proportional to the number of words plus the number of runs, not to the pixels.
import { rowRuns } from './bits.js';

/** Growable run buffers, reused from slice to slice. */
export class RunScratch {
  starts = new Int32Array(0);
  ends = new Int32Array(0);
  parent = new Int32Array(0);
  rowOf = new Int32Array(0);
  acc = new Float64Array(0);
  rowFirst = new Int32Array(0);

  /** Room for the runs of `h` rows of `w` pixels. */
  ensure(h: number, w: number): void {
    const cap = h * ((w + 2) >> 1);
    if (this.starts.length < cap) {
      this.starts = new Int32Array(cap);
      this.ends = new Int32Array(cap);
      this.parent = new Int32Array(cap);
      this.rowOf = new Int32Array(cap);
      this.acc = new Float64Array(cap);
    }
    if (this.rowFirst.length < h + 1) this.rowFirst = new Int32Array(h + 1);
  }
}

function find(parent: Int32Array, a: number): number {
  while (parent[a] !== a) {
    parent[a] = parent[parent[a]];
    a = parent[a];
  }
  return a;
}

/**
 * Label the runs of the h×w bit image (rows word-aligned) and union the 4-connected ones; the
 * root of a component is its first run in raster order. Returns the run count.
 */
function label(bits: Uint32Array, h: number, w: number, invert: boolean, s: RunScratch): number {
  const qw = (w + 31) >> 5;
  s.ensure(h, w);
  const { starts, ends, parent, rowOf, rowFirst } = s;
  let n = 0;
  for (let y = 0; y < h; y++) {
    rowFirst[y] = n;
    n = rowRuns(bits, y * qw, w, invert, starts, ends, n);
    for (let k = rowFirst[y]; k < n; k++) {
      parent[k] = k;
      rowOf[k] = y;
    }
    if (y === 0) continue;
    let i = rowFirst[y - 1];
    let j = rowFirst[y];
    const iEnd = rowFirst[y];
    while (i < iEnd && j < n) {
      if (starts[i] < ends[j] && starts[j] < ends[i]) {
        const a = find(parent, i);
        const b = find(parent, j);
        if (a < b) parent[b] = a;
        else if (b < a) parent[a] = b;
      }
      if (ends[i] <= ends[j]) i++;
      else j++;
    }
  }
  rowFirst[h] = n;
  for (let k = 0; k < n; k++) parent[k] = find(parent, k);
  return n;
}

export interface Box { r0: number; r1: number; c0: number; c1: number }

/**
 * Tight bounding box (end-exclusive) of the largest 4-connected component of set bits in an
 * h×w bit image (rows word-aligned); ties go to the component whose first pixel comes first in raster order
 * (scipy.ndimage.label's numbering). Null when no bit is set.
 */
export function largestComponentBox(bits: Uint32Array, h: number, w: number, s: RunScratch): Box | null {
  const n = label(bits, h, w, false, s);
  const { starts, ends, parent, rowOf, acc } = s;
  acc.fill(0, 0, n);
  for (let k = 0; k < n; k++) acc[parent[k]] += ends[k] - starts[k];
  let best = -1;
  for (let k = 0; k < n; k++) if (parent[k] === k && (best < 0 || acc[k] > acc[best])) best = k;
  if (best < 0) return null;
  let c0 = w, c1 = 0, r1 = 0;
  for (let k = best; k < n; k++) {
    if (parent[k] !== best) continue;
    if (starts[k] < c0) c0 = starts[k];
    if (ends[k] > c1) c1 = ends[k];
    r1 = rowOf[k] + 1;
  }
  return { r0: rowOf[best], r1, c0, c1 };
}

/**
 * Holes of a mask: the clear pixels that no 4-connected path of clear pixels joins to the image
 * border (what scipy.ndimage.binary_fill_holes fills), in an h×w bit image (rows word-aligned).
 * Returns the hole pixel count; `paint(y, x0, x1)` receives each hole run.
 */
export function holes(
  bits: Uint32Array, h: number, w: number, s: RunScratch,
  paint?: (y: number, x0: number, x1: number) => void,
): number {
  const n = label(bits, h, w, true, s);
  const { starts, ends, parent, rowOf, acc } = s;
  acc.fill(0, 0, n);                       // 1 marks a root whose component touches the border
  for (let k = 0; k < n; k++) {
    if (rowOf[k] === 0 || rowOf[k] === h - 1 || starts[k] === 0 || ends[k] === w) acc[parent[k]] = 1;
  }
  let area = 0;
  for (let k = 0; k < n; k++) {
    if (acc[parent[k]] !== 0) continue;
    area += ends[k] - starts[k];
    paint?.(rowOf[k], starts[k], ends[k]);
  }
  return area;
}
