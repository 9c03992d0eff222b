// The one rule for names that become paths under the runs directory: graph names, sweep variant
// names, run and sweep ids. The graph schema checks it (NAME_PATTERN), the sweep expansion makes
// variant names follow it, and every lookup of a record checks it, so a name that is accepted is
// also found, listed and kept.
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
