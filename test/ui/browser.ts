// Headless Chromium (puppeteer-core) for the run browser's tests: one browser per suite with a
// fresh profile; every page records its console errors and warnings, page errors, failed
// requests and any request that leaves the server under test.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { CHROMIUM } from '../report/chromium.js';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launch(): Promise<Browser> {
  return puppeteer.launch({ executablePath: CHROMIUM, args: [...FLAGS, `--user-data-dir=${mkdtempSync(join(tmpdir(), 'ctflow-ui-chromium-'))}`] });
}

export interface Watched { page: Page; problems: string[]; external: string[] }

export async function watchedPage(browser: Browser, origin: string): Promise<Watched> {
  const page = await browser.newPage();
  const problems: string[] = [], external: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) external.push(r.url()); });
  await page.setViewport({ width: 1280, height: 900 });
  return { page, problems, external };
}
