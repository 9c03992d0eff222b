// Many cache keys that differ only in a few string fields (a partitioned node's scan keys: the
// node's key material with one scan's id and input in it), made as hashCanonical would make each
// — the same bytes, so the same keys — without canonicalising the material once per scan: the
// canonical JSON around the varying fields is made once, and the sha256 state after the text
// before the first of them is kept and copied for each key.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { canonicalJson, hashCanonical } from './canonical.js';

/**
 * `make(slots)` is the value to hash with `slots[i]` standing where the i-th varying string goes;
 * the function returned hashes `make(values)` (hashCanonical's key) for string values.
 */
export function keyTemplate(count: number, make: (slots: readonly string[]) => unknown): (values: readonly string[]) => string {
  const nonce = randomBytes(8).toString('hex');
  const slots = Array.from({ length: count }, (_, i) => `\u0000slot ${i} ${nonce}\u0000`);
  const json = canonicalJson(make(slots));
  // Each slot must stand alone as a string value exactly once (not a key, not inside another string).
  const at = slots.map((s) => {
    const inner = JSON.stringify(s).slice(1, -1);
    const first = json.indexOf(inner);
    const end = first + inner.length + 1;
    const alone = first > 0 && json.indexOf(inner, first + 1) < 0 && json[first - 1] === '"' && json[end - 1] === '"' && json[end] !== ':';
    return alone ? { first: first - 1, end } : undefined;
  });
  // Otherwise (a value left out, used twice, as a key or within a string): hash each value as it is.
  if (at.some((a) => !a)) return (values) => hashCanonical(make(values));
  const order = [...at.keys()].sort((a, b) => at[a]!.first - at[b]!.first);
  const between = order.map((k, i) => json.slice(at[k]!.end, i + 1 < order.length ? at[order[i + 1]]!.first : json.length));
  const head: Hash = createHash('sha256').update(json.slice(0, order.length ? at[order[0]]!.first : json.length));
  return (values) => {
    const h = head.copy();
    for (const [i, k] of order.entries()) h.update(JSON.stringify(values[k])).update(between[i]);
    return h.digest('hex');
  };
}
