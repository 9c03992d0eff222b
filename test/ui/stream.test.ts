// Streamed pages (ui/server/stream.ts): the shell comes first, the body's parts are pulled only as
// the reader takes chunks (a table of 20,000 rows is never made whole), and the page is complete.
import { expect } from 'chai';
import { streamedPage } from '../../ui/server/stream.js';

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
});
