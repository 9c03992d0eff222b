// 4-connected components of a packed bit image, computed on runs: each row is cut into runs of
// set (or clear) bits, runs of consecutive rows that share a column are merged with union–find,
// and each root carries its component's pixel count, column range, last row and border flag.
// Work is proportional to the number of words plus the number of runs, not to the pixels.
import { rowRuns } from './bits.js';

/** Growable run buffers, reused from slice to slice. */
export class RunScratch {
  starts = new Int32Array(0);
  ends = new Int32Array(0);
  parent = new Int32Array(0);
  rowOf = new Int32Array(0);
  /** Per root: pixels, first column, end column, last row, touches the border (0/1). */
  area = new Int32Array(0);
  x0 = new Int32Array(0);
  x1 = new Int32Array(0);
  lastRow = new Int32Array(0);
  border = new Uint8Array(0);

  /** Room for the runs of `h` rows of `w` pixels. */
  ensure(h: number, w: number): void {
    const cap = h * ((w + 2) >> 1);
    if (this.starts.length >= cap) return;
    for (const k of ['starts', 'ends', 'parent', 'rowOf', 'area', 'x0', 'x1', 'lastRow'] as const) this[k] = new Int32Array(cap);
    this.border = new Uint8Array(cap);
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
  s.ensure(h, w);
  const { starts, ends, parent, rowOf, area, x0, x1, lastRow, border } = s;
  const qw = (w + 31) >> 5;
  let n = 0, prev = 0;
  for (let y = 0; y < h; y++) {
    const first = n;
    n = rowRuns(bits, y * qw, w, invert, starts, ends, n);
    const edgeRow = y === 0 || y === h - 1 ? 1 : 0;
    for (let k = first; k < n; k++) {
      parent[k] = k;
      rowOf[k] = y;
      lastRow[k] = y;
      area[k] = ends[k] - starts[k];
      x0[k] = starts[k];
      x1[k] = ends[k];
      border[k] = edgeRow | (starts[k] === 0 ? 1 : 0) | (ends[k] === w ? 1 : 0);
    }
    let i = prev, j = first;
    while (i < first && j < n) {
      if (starts[i] < ends[j] && starts[j] < ends[i]) {
        let a = find(parent, i), b = find(parent, j);
        if (a !== b) {
          if (b < a) { const t = a; a = b; b = t; }
          parent[b] = a;
          area[a] += area[b];
          if (x0[b] < x0[a]) x0[a] = x0[b];
          if (x1[b] > x1[a]) x1[a] = x1[b];
          if (lastRow[b] > lastRow[a]) lastRow[a] = lastRow[b];
          border[a] |= border[b];
        }
      }
      if (ends[i] <= ends[j]) i++;
      else j++;
    }
    prev = first;
  }
  return n;
}

export interface Box { r0: number; r1: number; c0: number; c1: number }

/**
 * Tight bounding box (end-exclusive) of the largest 4-connected component of set bits in an
 * h×w bit image (rows word-aligned); ties go to the component whose first pixel comes first in
 * raster order (scipy.ndimage.label's numbering). Null when no bit is set.
 */
export function largestComponentBox(bits: Uint32Array, h: number, w: number, s: RunScratch): Box | null {
  const n = label(bits, h, w, false, s);
  const { parent, area } = s;
  let best = -1;
  for (let k = 0; k < n; k++) if (parent[k] === k && (best < 0 || area[k] > area[best])) best = k;
  if (best < 0) return null;
  return { r0: s.rowOf[best], r1: s.lastRow[best] + 1, c0: s.x0[best], c1: s.x1[best] };
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
  const { parent, area, border, starts, ends, rowOf } = s;
  let total = 0;
  for (let k = 0; k < n; k++) if (parent[k] === k && !border[k]) total += area[k];
  if (paint) for (let k = 0; k < n; k++) if (!border[find(parent, k)]) paint(rowOf[k], starts[k], ends[k]);
  return total;
}
