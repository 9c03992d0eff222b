// "Did you mean …" for misspelt kinds, params, node ids and ports.
import { distance } from 'fastest-levenshtein';

export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) { best = c; bestD = d; }
  }
  // A suggestion must keep something of the word: "<<" is not a misspelt "in".
  return best !== undefined && bestD < word.length && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export function didYouMean(word: string, candidates: readonly string[]): string {
  const s = suggest(word, candidates);
  return s ? `did you mean "${s}"?` : `known: ${candidates.join(', ')}`;
}
