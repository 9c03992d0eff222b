// Tissue mask of an int16 image: 1 where the pixel is above t (strict, 'gt', as the scipy
// reference) or at least t ('ge', as the paper's eq. 2).

export type ThresholdOp = 'gt' | 'ge';

/** 0/1 a pixel, into `out` (else a new array). */
export function threshold(src: Int16Array, t: number, op: ThresholdOp, out: Uint8Array = new Uint8Array(src.length)): Uint8Array {
  const s = op === 'ge' ? t - 1 : t;            // int16: x ≥ t ⇔ x > t − 1
  for (let i = 0; i < src.length; i++) out[i] = src[i] > s ? 1 : 0;
  return out;
}
