// Resident memory of this process split by kind of mapping, from /proc/self/smaps (Linux; empty
// elsewhere): where RSS above the V8 heap and the ArrayBuffers lives.
import { readFileSync } from 'node:fs';

const ARENA = 64 * 2 ** 20;

/** MiB resident: heap (malloc's main arena), arenas (per-thread), big-anon (≥ 1 MiB), small-anon, files. */
export function residentByMapping(): Record<string, number> {
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return {};
  }
  const out: Record<string, number> = { heap: 0, arenas: 0, 'big-anon': 0, 'small-anon': 0, files: 0 };
  let kind = '';
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const start = parseInt(head[1], 16), size = parseInt(head[2], 16) - start, name = head[3];
      kind = name === '[heap]' ? 'heap' : name.startsWith('/') ? 'files'
        : name !== '' ? 'small-anon'
        : start % ARENA === 0 && size <= ARENA ? 'arenas' : size >= 2 ** 20 ? 'big-anon' : 'small-anon';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] += Number(rss[1]) / 1024;
  }
  return out;
}
