// A worker process for the scale-out tests and bench: the shipped kinds plus the test kinds,
// short lock and stall times, events as JSON lines on stdout. SIGTERM closes it gracefully.
// usage: node worker-main.js REDIS_URL RUNS_DIR PREFIX [CONCURRENCY]
import { DirectoryStore } from '../../engine/scale/store.js';
import { startWorker } from '../../engine/scale/worker.js';
import { testRegistry } from '../helpers/engine.js';
import { TEST_TIMING } from './workers.js';

const [redis, runs, prefix, concurrency = '1'] = process.argv.slice(2);
const worker = await startWorker({
  redis, store: new DirectoryStore(runs), registry: testRegistry, prefix, timing: TEST_TIMING,
  concurrency: Number(concurrency), heavyConcurrency: 1,
  onEvent: (e) => console.log(JSON.stringify(e)),
});
process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)));
