// Below the diaphragm: liver under the right dome, stomach (with its gas) and spleen under the
// left one, then kidneys, psoas and bowel loops when the scan runs into the abdomen.
import { smoothstep } from './math.js';
import type { Patient } from './patient.js';
import { only, type Raster } from './raster.js';
import { domeAt, type Body, type Cavity, type Spine } from './sections.js';
import { T } from './tissues.js';

export function paintAbdomen(r: Raster, p: Patient, z: number, b: Body, c: Cavity, s: Spine): void {
  const f = p.scale, L = p.L;
  // Each dome: a muscular diaphragm shell over the liver (right) or the fat, stomach and spleen (left).
  const shell = z < L + 20 ? 4 : 0;
  const under = only(T.LUNG, T.MEDFAT, T.DIAPHRAGM);
  const right = domeAt(p, z, -1, c);
  if (right) {
    const shrink = 1 - smoothstep(L + 40, L + 190, z);
    if (shell) r.ellipse(right, T.DIAPHRAGM, only(T.LUNG, T.MEDFAT));
    r.ellipse({ ...right, rx: right.rx * shrink - shell, ry: right.ry * shrink - shell }, T.LIVER, under);
  }
  const left = domeAt(p, z, 1, c);
  if (left) {
    if (shell) r.ellipse(left, T.DIAPHRAGM, only(T.LUNG, T.MEDFAT));
    r.ellipse({ ...left, rx: left.rx - shell, ry: left.ry - shell }, T.MEDFAT, under);
    const h = smoothstep(p.domeL + 4, p.domeL + 12, z) * (1 - smoothstep(L + 40, p.domeL + 180, z));
    const st = { x: left.x + 0.05 * c.rx, y: left.y - 0.15 * left.ry, rx: 0.6 * left.rx * h, ry: 0.55 * left.ry * h };
    r.ellipse(st, T.GUT, only(T.MEDFAT));
    r.ellipse({ ...st, rx: st.rx - 2, ry: st.ry - 2, cutY: st.y - st.ry + 2 * p.stomachGas * st.ry }, T.GAS, only(T.GUT));
    const u = (z - p.domeL - 15) / 125;
    if (u > 0 && u < 1) {
      const g = Math.sin(Math.PI * u);
      r.ellipse({ x: c.x + 0.68 * c.rx, y: c.y + 0.45 * c.ryP, rx: 0.2 * c.rx * g, ry: 0.45 * c.ryP * g, rot: 0.7 }, T.SPLEEN, only(T.MEDFAT));
    }
  }
  for (const side of [-1, 1]) {
    const u = (z - L - (side < 0 ? 30 : 15)) / 130;
    if (u > 0 && u < 1) {
      const g = Math.sqrt(Math.sin(Math.PI * u));
      r.ellipse({ x: b.x + side * (s.r + 0.22 * c.rx + 10), y: s.y - 0.1 * s.r, rx: 24 * f * g, ry: 30 * f * g, rot: side * 0.5 }, T.KIDNEY, only(T.MEDFAT, T.LIVER, T.SPLEEN));
    }
    if (z > L + 70) r.disc(b.x + side * (s.r + 10 * f), s.y + 0.2 * s.r, 22 * f * smoothstep(L + 70, L + 200, z), T.SOFT, only(T.MEDFAT));
  }
  for (const loop of p.loops) {
    const dz = z - loop.z;
    if (Math.abs(dz) >= loop.r) continue;
    const rr = Math.sqrt(loop.r * loop.r - dz * dz);
    r.disc(loop.x, loop.y, rr, T.GUT, only(T.MEDFAT));
    if (loop.gas) r.ellipse({ x: loop.x, y: loop.y, rx: rr - 2, ry: rr - 2, cutY: loop.y + 0.3 * rr }, T.GAS, only(T.GUT));
  }
}
