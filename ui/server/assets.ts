// The client's bundled files (dist/ui/assets, made by ui/build-client.ts), read once and named by
// a hash of their content, so a browser caches them for good and a rebuild is fetched anew.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface Asset { body: Buffer; type: string; version: string }

const TYPES: Record<string, string> = { 'app.js': 'text/javascript; charset=utf-8', 'charts.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' };
const loaded = new Map<string, Asset>();

/** A bundled asset by its file name, or undefined for any other name. */
export function asset(name: string): Asset | undefined {
  const type = TYPES[name];
  if (!type) return undefined;
  if (!loaded.has(name)) {
    const body = readFileSync(new URL(`../assets/${name}`, import.meta.url));
    loaded.set(name, { body, type, version: createHash('sha256').update(body).digest('hex').slice(0, 12) });
  }
  return loaded.get(name);
}

/** The URL of an asset, versioned by content. */
export function assetUrl(name: string): string {
  return `/assets/${name}?v=${asset(name)!.version}`;
}
