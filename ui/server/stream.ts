// A page sent as it is made: the page shell, then its body's parts pulled one chunk (~64 kB) at a
// time as the connection takes them (a ReadableStream, so a slow client holds back the rest),
// then the shell's end. The parts may be made asynchronously (a section read from the cache, a
// chart's data): the browser draws what came while the rest is read, and the server never holds
// the whole HTML. A part that fails is written in place as a problem and the page still ends
// whole, since its 200 status has been sent already.
import { escapeHtml, layout } from './layout.js';

const SLOT = '\u0000body\u0000';
const CHUNK = 64 * 1024;

/** A part that sends what has been made so far now (before a part that takes a while to make). */
export const FLUSH = '';

export function streamedPage(title: string, parts: Iterable<string> | AsyncIterable<string>, opts: { active?: string; charts?: boolean } = {}): Response {
  const [head, tail] = layout(title, SLOT, opts.active, opts.charts).split(SLOT);
  const rest = Symbol.asyncIterator in parts ? parts[Symbol.asyncIterator]() : parts[Symbol.iterator]();
  const bytes = new TextEncoder();
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(out) {
      if (!started) {
        started = true;
        out.enqueue(bytes.encode(head));
        return;
      }
      let chunk = '';
      while (chunk.length < CHUNK) {
        let next: IteratorResult<string>;
        try {
          next = await rest.next();
        } catch (e) {
          next = { done: true, value: undefined };
          chunk += `<p class="problem">The rest of this page could not be made: ${escapeHtml((e as Error).message)}</p>`;
        }
        if (next.done) {
          out.enqueue(bytes.encode(chunk + tail));
          out.close();
          return;
        }
        if (next.value === FLUSH && chunk) break;
        chunk += next.value;
      }
      out.enqueue(bytes.encode(chunk));
    },
    async cancel() {
      await rest.return?.();
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/html; charset=utf-8' } });
}
