// Body wall, lungs and mediastinum of one axial slice.
import { smoothstep } from './math.js';
import type { Patient } from './patient.js';
import { only, type Raster } from './raster.js';
import { heartAt, lungAt, mediastinumHalfWidth, paraspinalAt, tracheaAt, type Body, type Cavity, type Spine } from './sections.js';
import { T } from './tissues.js';

/** Skin-to-cavity layers: subcutaneous fat, muscle, then the (fat-filled) thoracic or abdominal cavity. */
export function paintBody(r: Raster, p: Patient, b: Body, c: Cavity, s: Spine): void {
  r.ellipse({ x: b.x, y: b.y, rx: b.rx, ry: b.ry, cutY: b.back }, T.FAT);
  r.ellipse({ x: b.x, y: b.y, rx: b.rx - b.fat, ry: b.ry - b.fat, cutY: b.back - b.fat }, T.SOFT, only(T.FAT));
  r.ellipse({ x: c.x, y: c.y, rx: c.rx, ry: c.ryA, ryPost: c.ryP }, T.MEDFAT, only(T.SOFT));
  r.ellipse(paraspinalAt(p, b, s), T.SOFT, only(T.MEDFAT));
}

export function paintLungs(r: Raster, p: Patient, z: number, c: Cavity): void {
  for (const side of [-1, 1] as const) {
    const lung = lungAt(p, z, side, c);
    if (lung) r.ellipse(lung, T.LUNG, only(T.MEDFAT));
  }
  const hw = mediastinumHalfWidth(p, z, c);
  r.ellipse({ x: c.x, y: c.y + 0.5 * (c.ryP - c.ryA), rx: hw, ry: 0.5 * (c.ryA + c.ryP) }, T.MEDFAT, only(T.LUNG));
  const heart = heartAt(p, z, c);
  if (heart) {
    r.ellipse({ ...heart, rx: heart.rx + 4, ry: heart.ry + 4 }, T.MEDFAT, only(T.LUNG));
    r.ellipse(heart, z < p.heart.z1 ? T.BLOOD : T.LIVER, only(T.LUNG, T.MEDFAT));
  }
}

const MED = only(T.SOFT, T.MEDFAT, T.LUNG, T.FAT);

/** Trachea, oesophagus, great vessels and (in the neck) thyroid, carotids and jugular veins. */
export function paintMediastinum(r: Raster, p: Patient, z: number, b: Body, c: Cavity, s: Spine): void {
  const tr = tracheaAt(p, z, s);
  const f = p.scale, aR = p.aortaR, k = p.carina;
  const asc = { x: b.x - 12 * f, y: s.y - s.r - 62 * f };
  const chestDesc = { x: b.x + s.r + 0.6 * aR, y: s.y - 0.4 * s.r };
  const desc = {
    x: chestDesc.x + (b.x + 0.3 * s.r - chestDesc.x) * b.abdomen,
    y: chestDesc.y + (s.y - s.r - 0.8 * aR - chestDesc.y) * b.abdomen,
  };
  // Right and left pulmonary arteries (the right one passes behind the ascending aorta), pulmonary trunk.
  if (z > k + 8 && z < k + 20) r.capsule(asc.x + 20 * f, asc.y + 5, b.x - 0.42 * c.rx, tr.y + 8, 0.6 * aR, T.BLOOD, MED);
  if (z > k && z < k + 12) r.capsule(asc.x + 20 * f, asc.y + 5, b.x + 0.45 * c.rx, s.y - s.r - 12, 0.6 * aR, T.BLOOD, MED);
  if (z > k + 5 && z < p.heart.z0 + 12) r.disc(asc.x + 32 * f, asc.y + 4, 13 * f, T.BLOOD, MED);
  // Ascending aorta, arch, descending aorta (moving in front of the spine in the abdomen).
  if (z > k - 40 && z < p.heart.z0 + 15) r.disc(asc.x, asc.y, aR, T.BLOOD, MED);
  if (z > k - 62 && z < k - 38) {
    // The arch runs from the ascending aorta back past the left side of the trachea.
    const bend = { x: tr.x + p.tracheaR + aR + 3, y: tr.y - 6 };
    r.capsule(asc.x, asc.y + 10, bend.x, bend.y, 0.9 * aR, T.BLOOD, MED);
    r.capsule(bend.x, bend.y, chestDesc.x, chestDesc.y, 0.9 * aR, T.BLOOD, MED);
  }
  if (z > k - 40) r.disc(desc.x, desc.y, 0.85 * aR, T.BLOOD, MED | only(T.LIVER));
  // Superior and inferior vena cava.
  if (z > 0.03 * p.L && z < p.heart.z0 + 10) r.disc(asc.x - aR - 11 * f, asc.y + 8, 9 * f, T.BLOOD, MED);
  if (z > p.domeR - 5) r.disc(b.x - s.r - 8 * f, s.y - s.r - 10 * f, 11 * f, T.BLOOD, only(T.LIVER, T.MEDFAT));
  if (z < k - 55) {
    // Above the arch: carotid arteries, jugular veins, thyroid lobes.
    const o = p.tracheaR;
    for (const side of [-1, 1]) {
      r.disc(tr.x + side * (o + 9 * f), tr.y + 2, 4.5 * f, T.BLOOD, MED);
      r.disc(tr.x + side * (o + 21 * f), tr.y - 4, 6 * f, T.BLOOD, MED);
      if (z > -80 && z < -30) {
        const h = Math.sin((Math.PI * (z + 80)) / 50);
        r.ellipse({ x: tr.x + side * (o + 6 * f), y: tr.y - 3, rx: 8 * f * h, ry: 12 * f * h }, T.THYROID, MED);
      }
    }
  }
  // Oesophagus.
  if (z < p.domeL + 15) r.ellipse({ x: b.x + 8 * f, y: s.y - s.r - 7 * f, rx: 9 * f, ry: 5.5 * f }, T.SOFT, MED);
  if (z < k) {
    // The trachea narrows a little as it approaches the carina.
    const tr0 = p.tracheaR * (1 - 0.12 * smoothstep(k - 60, k, z));
    r.disc(tr.x, tr.y, tr0 + 2, T.SOFT, MED | only(T.BLOOD));
    r.disc(tr.x, tr.y, tr0, T.GAS, only(T.SOFT));
  }
}
