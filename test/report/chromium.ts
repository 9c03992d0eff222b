// Opening a report in headless Chromium (the Debian `chromium` package) through puppeteer-core:
// what the page logged, what it requested, and what it shows.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Skips the calling suite when Chromium is absent, except in CI, where that is a failure. */
export function requireChromium(ctx: Mocha.Context): void {
  if (existsSync(CHROMIUM)) return;
  const why = `${CHROMIUM} not found; install it with  apt-get install -y chromium  (or set CHROMIUM_PATH)`;
  if (process.env.CI === 'true') throw new Error(`headless-browser report test: ${why}`);
  console.warn(`    skipped: ${why}`);
  ctx.skip();
}

export interface Rendered {
  /** Console errors and warnings, uncaught page errors, failed requests. */
  problems: string[];
  /** Every URL the page requested besides itself. */
  requests: string[];
  sections: { id: string; title: string; height: number }[];
  tocLinks: string[];
  images: { ok: boolean; width: number }[];
  charts: { width: number; height: number }[];
}

export async function render(file: string): Promise<Rendered> {
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless'] });
  try {
    const page = await browser.newPage();
    const problems: string[] = [], requests: string[] = [];
    const url = pathToFileURL(file).href;
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    page.on('request', (r) => { if (r.url() !== url && !r.url().startsWith('data:')) requests.push(r.url()); });
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(url, { waitUntil: 'load' });
    const shown = await page.evaluate(() => ({
      sections: [...document.querySelectorAll('main > section')].map((s) => ({ id: s.id, title: s.querySelector('h2')?.textContent ?? '', height: s.getBoundingClientRect().height })),
      tocLinks: [...document.querySelectorAll('nav a')].map((a) => a.getAttribute('href') ?? ''),
      images: [...document.images].map((i) => ({ ok: i.complete && i.naturalWidth > 0, width: i.naturalWidth })),
      charts: [...document.querySelectorAll('main svg')].map((s) => ({ width: s.getBoundingClientRect().width, height: s.getBoundingClientRect().height })),
    }));
    return { problems, requests, ...shown };
  } finally {
    await browser.close();
  }
}
