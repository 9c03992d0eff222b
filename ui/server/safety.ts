// Request checks done before routing: a path or query value that climbs ("..") or is absolute is
// refused with 400 (the server builds file paths only from run ids and cache keys, but says no
// early and plainly); a token, when the server has one, is required on every request (query
// parameter once, then a cookie; or an Authorization: Bearer header); a server bound to loopback
// answers only requests addressed to a loopback name (no DNS rebinding).
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
export const COOKIE = 'ctflow_ui_token';

export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Why a raw request target is refused, or undefined when it is acceptable. */
export function unsafeTarget(rawUrl: string): string | undefined {
  const [path, search = ''] = rawUrl.split('?', 2);
  const parts = [path, ...search.split('&').map((kv) => kv.slice(kv.indexOf('=') + 1))];
  for (const raw of parts) {
    let text: string;
    try {
      text = decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      return 'malformed percent-encoding';
    }
    if (text.split(/[\\/]/).includes('..')) return 'a path that climbs ("..") is not accepted';
    if (raw !== path && (/^[\\/]/.test(text) || /^[A-Za-z]:[\\/]/.test(text))) return 'absolute paths are not accepted';
  }
  if (/^\/\/|\\/.test(safeDecode(path))) return 'absolute paths are not accepted';
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The token a request carries: ?token=, an Authorization: Bearer header or the cookie. */
export function tokenOf(req: IncomingMessage): string | undefined {
  const url = new URL(req.url ?? '/', 'http://x');
  const q = url.searchParams.get('token');
  if (q) return q;
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length);
  const cookie = (req.headers.cookie ?? '').split(/;\s*/).find((c) => c.startsWith(`${COOKIE}=`));
  return cookie ? decodeURIComponent(cookie.slice(COOKIE.length + 1)) : undefined;
}

export function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given), b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The Host header's name when the server is bound to loopback and it names something else. */
export function foreignHost(req: IncomingMessage, boundHost: string): string | undefined {
  if (!isLoopback(boundHost)) return undefined;
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  return isLoopback(host) ? undefined : host;
}
