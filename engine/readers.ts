// Readers handed to barrier nodes: one per input port; a variadic port ("predictions#0",
// "predictions#1", …) reads as one table holding the batches of every node listed, in order.
import type { TableReader } from './types.js';

export function portReaders(byInput: Record<string, TableReader>): Record<string, TableReader> {
  const groups = new Map<string, [number, TableReader][]>();
  for (const [name, reader] of Object.entries(byInput)) {
    const [port, i] = name.split('#');
    groups.set(port, [...(groups.get(port) ?? []), [Number(i ?? 0), reader]]);
  }
  return Object.fromEntries([...groups].map(([port, rs]) => [port, rs.length === 1 ? rs[0][1] : concat(rs.sort((a, b) => a[0] - b[0]).map((r) => r[1]))]));
}

function concat(readers: TableReader[]): TableReader {
  const starts: number[] = [];
  let n = 0;
  for (const r of readers) {
    starts.push(n);
    n += r.numBatches;
  }
  const batch = (i: number) => {
    if (i < 0 || i >= n) throw new RangeError(`batch ${i} of ${n}`);
    let k = readers.length - 1;
    while (starts[k] > i) k--;
    return readers[k].batch(i - starts[k]);
  };
  return {
    numBatches: n,
    numRows: readers.reduce((a, r) => a + r.numRows, 0),
    batch,
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < n; i++) yield await batch(i);
    },
  };
}
