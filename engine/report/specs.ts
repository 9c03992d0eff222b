// Vega-Lite specs of the report's charts. Data is inlined; every chart is rendered to SVG.
import type { TopLevelSpec } from 'vega-lite';
import type { Row } from './run-data.js';

const CONFIG = { font: 'system-ui, sans-serif', view: { stroke: '#ddd' }, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelLimit: 320 } };

/** Loss (or any per-epoch series) against the epoch; colour by node, dash by series; best epoch ringed. */
export function trainingSpec(rows: Row[], title: string, yTitle: string): TopLevelSpec {
  return {
    title, width: 380, height: 220, config: CONFIG, data: { values: rows },
    layer: [
      {
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
          y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
          color: { field: 'node', type: 'nominal', title: 'node' },
          strokeDash: { field: 'series', type: 'nominal', title: 'series' },
          detail: { field: 'series' },
        },
      },
      {
        transform: [{ filter: 'datum.best' }],
        mark: { type: 'point', size: 140, strokeWidth: 2, filled: false, color: '#222' },
        encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'value', type: 'quantitative' } },
      },
    ],
  };
}

/** ROC curves of one split: one line per model, the chance diagonal dashed. */
export function rocSpec(rows: Row[], split: string): TopLevelSpec {
  return {
    title: `ROC, ${split}`, width: 300, height: 300, config: CONFIG,
    layer: [
      {
        data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
        mark: { type: 'line', strokeDash: [4, 4], color: '#aaa' },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: rows },
        mark: { type: 'line', interpolate: 'linear' },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'false positive rate', scale: { domain: [0, 1] } },
          y: { field: 'tpr', type: 'quantitative', title: 'true positive rate', scale: { domain: [0, 1] } },
          color: { field: 'label', type: 'nominal', title: 'model' },
          order: { field: 'i', type: 'quantitative' },
        },
      },
    ],
  };
}

/** Lung area per slice position of a few scans, the chosen window shaded; one panel per scan. */
export function areaSpec(rows: Row[], scans: string[]): TopLevelSpec {
  return {
    config: CONFIG, data: { values: rows },
    facet: { field: 'scan', type: 'nominal', title: null, sort: scans, header: { labelFontSize: 11 } },
    columns: 4,
    spec: {
      width: 220, height: 110,
      layer: [
        {
          transform: [{ filter: "datum.type === 'window'" }],
          mark: { type: 'rect', color: '#f2b134', opacity: 0.35 },
          encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } },
        },
        {
          transform: [{ filter: "datum.type === 'area'" }],
          mark: { type: 'line', color: '#1d5fa8' },
          encoding: {
            x: { field: 'x', type: 'quantitative', title: 'slice (position in scan)' },
            y: { field: 'area', type: 'quantitative', title: 'lung area (px)' },
          },
        },
      ],
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  };
}

/** Metrics against the swept value: mean per variant, the 95% interval as a bar when replicated. */
export function sweepSpec(rows: Row[], x: { title: string; quantitative: boolean; order: string[] }, split: string): TopLevelSpec {
  const xEnc = x.quantitative
    ? { field: 'x', type: 'quantitative' as const, title: x.title, scale: { zero: false } }
    : { field: 'x', type: 'nominal' as const, title: x.title, sort: x.order };
  return {
    title: `${split}`, config: CONFIG, data: { values: rows },
    facet: { field: 'metric', type: 'nominal', title: null },
    columns: 3,
    spec: {
      width: 220, height: 170,
      layer: [
        { mark: { type: 'line', point: true }, encoding: { x: xEnc, y: { field: 'mean', type: 'quantitative', title: 'value', scale: { zero: false } }, color: { field: 'model', type: 'nominal', title: 'model' } } },
        { mark: { type: 'rule' }, encoding: { x: xEnc, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { field: 'model', type: 'nominal' } } },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
}
