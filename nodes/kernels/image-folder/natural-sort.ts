// Natural order for file and folder names: digit runs compare as numbers ("2.jpg" before "10.jpg").
// Deterministic (no locale): other characters compare by UTF-16 code unit.

const RUNS = /\d+|\D+/g;

/** Compare two names, digit runs numerically; ties (e.g. "01" vs "1") break by plain order. */
export function naturalCompare(a: string, b: string): number {
  const ra = a.match(RUNS) ?? [];
  const rb = b.match(RUNS) ?? [];
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i], y = rb[i];
    if (x === y) continue;
    const dx = /^\d/.test(x), dy = /^\d/.test(y);
    if (dx && dy) {
      const c = compareDigits(x.replace(/^0+/, ''), y.replace(/^0+/, ''));
      if (c !== 0) return c;
    } else {
      return x < y ? -1 : 1;
    }
  }
  if (ra.length !== rb.length) return ra.length - rb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareDigits(x: string, y: string): number {
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}
