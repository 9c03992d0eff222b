// CSV rows (RFC 4180): a value holding a comma, a quote or a line break is quoted, quotes doubled;
// null and undefined are empty cells.
export function csvRow(values: readonly unknown[]): string {
  return values.map((v) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  }).join(',');
}
