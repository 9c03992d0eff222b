// Streamed pages (ui/server/stream.ts): the shell comes first, the body's parts are pulled only as
// the reader takes chunks (a table of 20,000 rows is never made whole), and the page is complete.
import { expect } from 'chai';
import { FLUSH, streamedPage } from '../../ui/server/stream.js';

describe('ctflow ui: streamed pages', () => {
  it('pulls rows as the reader reads, in chunks, and ends the page', async () => {
    let made = 0;
    const rows = function* () {
      for (let i = 0; i < 20_000; i++) {
        made++;
        yield `<tr><td>${i}</td><td>${'x'.repeat(40)}</td></tr>\n`;
      }
    };
    const res = streamedPage('Many rows', rows());
    expect(res.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    const reader = res.body!.getReader();
    const text = new TextDecoder();
    const first = text.decode((await reader.read()).value);
    expect(first).to.match(/^<!doctype html>[\s\S]*<h1>Many rows<\/h1>\n$/);
    expect(made).to.be.below(200); // nothing beyond what the stream's queue asked for
    const second = text.decode((await reader.read()).value);
    expect(second.startsWith('<tr><td>0</td>')).to.equal(true);
    expect(made).to.be.below(20_000 / 4);
    let rest = '', chunks = 2;
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      rest += text.decode(r.value);
      chunks++;
    }
    expect(made).to.equal(20_000);
    expect(chunks).to.be.greaterThan(10);
    const all = first + second + rest;
    expect(all.match(/<tr>/g)).to.have.length(20_000);
    expect(all).to.match(/<td>19999<\/td>[\s\S]*<\/main>\n<\/body>\n<\/html>\n$/);
  });

  it('sends what is made before a slow part (FLUSH), and writes a part that fails as a problem, ending the page', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const res = streamedPage('Sections', (async function* () {
      yield '<p>params</p>';
      yield FLUSH;
      await gate; // a section that reads the cache
      yield '<p>curves</p>';
      throw new Error('entry abc123 is damaged');
    })());
    const reader = res.body!.getReader();
    const text = new TextDecoder();
    text.decode((await reader.read()).value); // the shell
    expect(text.decode((await reader.read()).value)).to.equal('<p>params</p>'); // before the slow part
    release();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += text.decode(r.value);
    expect(rest).to.match(/^<p>curves<\/p><p class="problem">The rest of this page could not be made: entry abc123 is damaged<\/p>\n<\/main>/);
  });
});
