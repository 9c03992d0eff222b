// One copy of Arrow: every module takes Arrow values from engine/arrow.ts, so tables made in one
// module pass instanceof checks in another (and start-up stays fast).
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? jsFiles(p) : p.endsWith('.js') ? [p] : [];
  });
}

describe('Arrow is loaded once', () => {
  it('no compiled module imports the apache-arrow package directly', () => {
    const offenders = ['dist/engine', 'dist/nodes', 'dist/test'].flatMap(jsFiles)
      .filter((f) => /from ['"]apache-arrow['"]|import\(['"]apache-arrow['"]\)/.test(readFileSync(f, 'utf8')));
    expect(offenders, 'import Arrow values from engine/arrow.js instead').to.deep.equal([]);
  });
});
