// A page sent as it is made: the page shell, then its body's parts pulled one chunk (~64 kB) at a
// time as the connection takes them (a ReadableStream, so a slow client holds back the rest),
// then the shell's end. For pages whose tables have thousands of rows (Scans): the server never
// holds the whole HTML, and the browser draws the first rows while the rest arrive.
import { layout } from './layout.js';

const SLOT = '\u0000body\u0000';
const CHUNK = 64 * 1024;

export function streamedPage(title: string, parts: Iterable<string>, active = ''): Response {
  const [head, tail] = layout(title, SLOT, active).split(SLOT);
  const rest = parts[Symbol.iterator]();
  const bytes = new TextEncoder();
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    pull(out) {
      if (!started) {
        started = true;
        out.enqueue(bytes.encode(head));
        return;
      }
      let chunk = '';
      while (chunk.length < CHUNK) {
        const next = rest.next();
        if (next.done) {
          out.enqueue(bytes.encode(chunk + tail));
          out.close();
          return;
        }
        chunk += next.value;
      }
      out.enqueue(bytes.encode(chunk));
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/html; charset=utf-8' } });
}
