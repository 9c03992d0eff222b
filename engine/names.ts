// The one rule for names that become paths under the runs directory: graph names, sweep variant
// names, run and sweep ids. The graph schema checks it (NAME_PATTERN), the sweep expansion makes
// variant names follow it, and every lookup of a record checks it, so a name that is accepted is
// also found, listed and kept.
import { sha256 } from './canonical.js';

export const NAME_RULE = 'letters, digits and . _ = , - (starting with a letter or digit, no "..")';

/** The rule as a JSON Schema pattern (lengths are limited where names are declared). */
export const NAME_PATTERN = '^(?!.*\\.\\.)[A-Za-z0-9][A-Za-z0-9._=,-]*$';

const NAME_RE = new RegExp(NAME_PATTERN);

/** A name or id that follows the rule and fits one path segment. */
export function isSafeName(s: string): boolean {
  return s.length <= 255 && NAME_RE.test(s);
}

/** `s` made to follow the rule: other characters become "_", runs of dots one dot. */
export function safeName(s: string): string {
  const cleaned = s.replace(/[^A-Za-z0-9._=,-]/g, '_').replace(/\.{2,}/g, '.');
  return /^[A-Za-z0-9]/.test(cleaned) ? cleaned : `v${cleaned}`;
}

/** Longest graph name (a run id adds 21 characters and stays one path segment). */
export const MAX_NAME = 128;

/** A derived name (a sweep variant's graph name) cut to MAX_NAME, with a hash of the whole so that cut names stay distinct. */
export function fitName(s: string): string {
  return s.length <= MAX_NAME ? s : `${s.slice(0, MAX_NAME - 9)}-${sha256(s).slice(0, 8)}`;
}
