// A run's report: <runs>/records/<id>/report.html, built from the run record, graph.json and the
// store entries the record references: the engine's sections (found by port type), then those the
// run's kinds declare (`report.sections`). Sections without data in this graph are left out.
import { join } from 'node:path';
import { loadExport, type LazyExport } from '../lazy.js';
import type { Registry } from '../registry.js';
import { recordDir, type RunRecord } from '../runs.js';
import { writeInside } from '../safe-fs.js';
import { Store } from '../store.js';
import { escapeHtml, page, type Section } from './html.js';
import { RunData } from './run-data.js';
import { dagSection } from './sections/dag.js';
import { metricsSection } from './sections/metrics.js';
import { rocSection } from './sections/roc.js';
import { trainingSection } from './sections/training.js';

export type MakeSection = (data: RunData) => Promise<Section | undefined>;

const SECTIONS: MakeSection[] = [dagSection, metricsSection, trainingSection, rocSection];

/** The sections the run's kinds declare, in run order, each once. */
function kindSections(data: RunData): LazyExport[] {
  const found = new Map<string, LazyExport>();
  for (const node of Object.keys(data.record.nodes)) {
    for (const ref of data.def(node)?.report?.sections ?? []) found.set(`${ref.module}#${ref.name}`, ref);
  }
  return [...found.values()];
}

/** What draws each section of the run's report: the engine's, then its kinds' (loaded now). */
export async function reportSections(data: RunData): Promise<MakeSection[]> {
  return [...SECTIONS, ...await Promise.all(kindSections(data).map((ref) => loadExport<MakeSection>(ref)))];
}

export async function runReportHtml(data: RunData): Promise<string> {
  const sections: Section[] = [];
  for (const make of await reportSections(data)) {
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
