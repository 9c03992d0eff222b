// Kinds that exist only for engine tests.
import barrier from './barrier.js';
import childTotal from './child-total.js';
import coreProbe from './core-probe.js';
import failAt from './fail-at.js';
import folderScans from './folder-scans.js';
import scale from './scale.js';
import scanMean from './scan-mean.js';
import statsTotal from './stats-total.js';
import toyMetrics from './toy-metrics.js';
import toyScans from './toy-scans.js';
import toyTrain from './toy-train.js';
import trackedCopy from './tracked-copy.js';
import trackedScans from './tracked-scans.js';

export const testKinds = [toyScans, scale, scanMean, statsTotal, failAt, childTotal, toyMetrics, toyTrain, trackedScans, trackedCopy, barrier, coreProbe, folderScans];
