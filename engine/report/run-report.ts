// A run's report: <runs>/records/<id>/report.html, built from the run record, graph.json and the
// store entries the record references. Sections without data in this graph are left out.
import { join } from 'node:path';
import type { Registry } from '../registry.js';
import { recordDir, type RunRecord } from '../runs.js';
import { writeInside } from '../safe-fs.js';
import { Store } from '../store.js';
import { escapeHtml, page, type Section } from './html.js';
import { RunData } from './run-data.js';
import { dagSection } from './sections/dag.js';
import { lungAreaSection } from './sections/lung-area.js';
import { metricsSection } from './sections/metrics.js';
import { panelsSection } from './sections/panels.js';
import { rocSection } from './sections/roc.js';
import { trainingSection } from './sections/training.js';

const SECTIONS = [dagSection, metricsSection, trainingSection, rocSection, lungAreaSection, panelsSection];

export async function runReportHtml(data: RunData): Promise<string> {
  const sections: Section[] = [];
  for (const make of SECTIONS) {
    const s = await make(data);
    if (s) sections.push(s);
  }
  const r = data.record;
  const seconds = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
  const git = r.provenance.git.commit ? `${r.provenance.git.commit.slice(0, 12)}${r.provenance.git.dirty ? ' (with uncommitted changes)' : ''}` : 'not a git checkout';
  const facts: [string, string][] = [
    ['run', r.id], ['graph', `${r.graph} (${r.file})`], ['status', r.status], ['started', r.startedAt], ['took', `${seconds.toFixed(1)} s`],
    ['seed', String(data.graph.seed)], ['code', git], ['Node', r.provenance.node], ['backend', r.provenance.backend],
    ...(r.sweep ? [['sweep', `${r.sweep.id}, variant ${r.sweep.variant}, seed ${r.sweep.seed}`] as [string, string]] : []),
  ];
  const lead = `<dl>${facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
  return page(`ctflow run ${r.graph}`, lead, sections);
}

/** Write the report of a recorded run into its record directory; returns the file. */
export async function writeRunReport(runsDir: string, record: RunRecord, registry: Registry): Promise<string> {
  const html = await runReportHtml(RunData.load(runsDir, record, new Store(runsDir), registry));
  const file = join(recordDir(runsDir, record.id), 'report.html');
  writeInside(runsDir, file, html);
  return file;
}
