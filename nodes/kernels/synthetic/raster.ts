// One synthetic slice being painted: a tissue-label canvas and an HU canvas. Shapes are given in
// millimetres in the slice plane (x toward the patient's left = image right, y posterior = image
// down, origin at the centre of the field of view) and each touches only its bounding box.

/** A bit mask over tissue labels: a shape overwrites a pixel only if the pixel's label is in it. */
export type LabelMask = number;
export const ANY: LabelMask = 0xffffffff;
export const only = (...labels: number[]): LabelMask => labels.reduce((m, l) => m | (1 << l), 0);

export interface Ellipse {
  x: number;
  y: number;
  /** Semi-axis along x (before rotation). */
  rx: number;
  /** Semi-axis along y (before rotation); anterior half when `ryPost` is given. */
  ry: number;
  /** Posterior semi-axis (y > centre), only for unrotated ellipses. */
  ryPost?: number;
  /** Rotation in radians (image coordinates, clockwise as displayed). */
  rot?: number;
  /** Nothing is painted below this y (mm): a flat cut, e.g. the back lying on the table. */
  cutY?: number;
}

export class Raster {
  readonly label: Uint8Array;
  readonly hu: Float32Array;
  /** Pixels per millimetre. */
  readonly k: number;
  private readonly o: number;

  /** `canvas`: n² labels and HU to paint in (e.g. the last scan's, reused), fresh ones when absent. */
  constructor(readonly n: number, readonly pixelMm: number, canvas?: { label: Uint8Array; hu: Float32Array }) {
    if (canvas && (canvas.label.length !== n * n || canvas.hu.length !== n * n)) throw new Error(`Raster: a canvas of ${canvas.label.length} labels for ${n}×${n}`);
    this.label = canvas?.label ?? new Uint8Array(n * n);
    this.hu = canvas?.hu ?? new Float32Array(n * n);
    this.k = 1 / pixelMm;
    this.o = n / 2 - 0.5;
  }

  /** Fractional pixel index (column for x, row for y) of a millimetre coordinate. */
  px(mm: number): number {
    return mm * this.k + this.o;
  }

  /** Millimetre coordinate of pixel index i (column or row). */
  mm(i: number): number {
    return (i - this.o) * this.pixelMm;
  }

  /** Fill an ellipse row by row: each row's span is solved exactly, no per-pixel test. */
  ellipse(e: Ellipse, lab: number, mask: LabelMask = ANY): void {
    const { k, n, label } = this;
    const rx = e.rx * k, ryA = e.ry * k, ryP = (e.ryPost ?? e.ry) * k;
    if (!(rx > 0.05 && ryA > 0.05 && ryP > 0.05)) return;
    const cx = this.px(e.x), cy = this.px(e.y);
    const rot = e.rot ?? 0, cs = Math.cos(rot), sn = Math.sin(rot);
    // Implicit form A dx² + B dx dy + C dy² ≤ 1 (C depends on the half when ryPost differs).
    const irx2 = 1 / (rx * rx);
    const ey = rot ? Math.sqrt(rx * rx * sn * sn + ryA * ryA * cs * cs) : 0;
    const r0 = Math.max(0, Math.ceil(cy - (rot ? ey : ryA)));
    let r1 = Math.min(n - 1, Math.floor(cy + (rot ? ey : ryP)));
    if (e.cutY !== undefined) r1 = Math.min(r1, Math.floor(this.px(e.cutY)));
    for (let r = r0; r <= r1; r++) {
      const dy = r - cy;
      let lo: number, hi: number;
      if (rot) {
        const iry2 = 1 / (ryA * ryA);
        const A = cs * cs * irx2 + sn * sn * iry2;
        const B = 2 * cs * sn * (irx2 - iry2);
        const C = sn * sn * irx2 + cs * cs * iry2;
        const disc = B * B * dy * dy - 4 * A * (C * dy * dy - 1);
        if (disc < 0) continue;
        const sq = Math.sqrt(disc);
        lo = (-B * dy - sq) / (2 * A);
        hi = (-B * dy + sq) / (2 * A);
      } else {
        const ry = dy < 0 ? ryA : ryP;
        const q = 1 - (dy * dy) / (ry * ry);
        if (q < 0) continue;
        hi = rx * Math.sqrt(q);
        lo = -hi;
      }
      const c0 = Math.max(0, Math.ceil(cx + lo)), c1 = Math.min(n - 1, Math.floor(cx + hi));
      const row = r * n;
      for (let i = row + c0, end = row + c1; i <= end; i++) {
        if ((mask >>> label[i]) & 1) label[i] = lab;
      }
    }
  }

  /** Fill a disc. */
  disc(x: number, y: number, r: number, lab: number, mask: LabelMask = ANY): void {
    this.ellipse({ x, y, rx: r, ry: r }, lab, mask);
  }

  /** Fill a capsule: points within r (mm) of the segment (x0,y0)–(x1,y1). */
  capsule(x0: number, y0: number, x1: number, y1: number, r: number, lab: number, mask: LabelMask = ANY): void {
    const { k, n, label } = this;
    const ax = this.px(x0), ay = this.px(y0), bx = this.px(x1), by = this.px(y1), rp = r * k;
    if (rp < 0.3) return;
    const dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy, r2 = rp * rp;
    const c0 = Math.max(0, Math.ceil(Math.min(ax, bx) - rp)), c1 = Math.min(n - 1, Math.floor(Math.max(ax, bx) + rp));
    const q0 = Math.max(0, Math.ceil(Math.min(ay, by) - rp)), q1 = Math.min(n - 1, Math.floor(Math.max(ay, by) + rp));
    for (let row = q0; row <= q1; row++) {
      const py = row - ay;
      for (let c = c0; c <= c1; c++) {
        const pxx = c - ax;
        let t = len2 > 0 ? (pxx * dx + py * dy) / len2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const ex = pxx - t * dx, ey = py - t * dy;
        const i = row * n + c;
        if (ex * ex + ey * ey <= r2 && (mask >>> label[i]) & 1) label[i] = lab;
      }
    }
  }
}
