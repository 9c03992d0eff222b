// CPU a slice of each thread of a `ctflow run` of the windows-only lung graph (lung-window.yaml's
// shape) over a JPEG folder: the main thread, libvips's workers, and every other thread (the lung
// pool's workers, which also decode image-folder's JPEGs; libuv's; V8's), read from
// /proc/PID/task/*/stat while the run goes on (Linux). CPU time is far less sensitive to the
// machine's load than wall time, so two builds or settings compare by it, alternated:
//   node dist/bench/scale/thread-cpu.js FOLDER [--rounds 3] [--build NAME=DIR ...]
// runs this build as it is, with CTFLOW_JPEG_NATIVE=0 (the WebAssembly decoder on the workers, not
// the native addon) and with CTFLOW_JPEG_WASM=0 (every slice decoded by sharp), in turn; with
// --build, each named build instead (DIR holds a built ctflow: its bin/ctflow.cjs and dist/), e.g.
// --build before=/tmp/base --build after=. to compare two builds, alternated.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { lungGraphYaml } from './lung-graph.js';

const { values: a, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string', default: '3' }, build: { type: 'string', multiple: true } } });
if (positionals.length !== 1) {
  console.error('usage: node dist/bench/scale/thread-cpu.js FOLDER [--rounds 3] [--build NAME=DIR ...]');
  process.exit(2);
}
const folder = resolve(positionals[0]);
const countSlices = (dir: string): number => readdirSync(dir, { withFileTypes: true })
  .reduce((n, e) => n + (e.isDirectory() ? countSlices(join(dir, e.name)) : /\.jpe?g$/i.test(e.name) ? 1 : 0), 0);
const slices = countSlices(folder);
const TICK_MS = 1000 / 100; // USER_HZ
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

/** One `ctflow run` on a fresh runs directory: CPU ms a slice per thread group, and wall seconds. */
function run(env: NodeJS.ProcessEnv, root = '.'): Promise<{ groups: Map<string, number>; wall: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ctflow-thread-cpu-'));
  writeFileSync(join(dir, 'g.yaml'), lungGraphYaml('thread-cpu', folder, { windowsOnly: true }));
  const ticks = new Map<string, { group: string; ticks: number }>();
  const t0 = performance.now();
  const child = spawn(process.execPath, [resolve(root, 'bin/ctflow.cjs'), 'run', join(dir, 'g.yaml'), '--runs', join(dir, 'runs'), '--no-report', '--quiet'],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const sample = () => {
    try {
      for (const tid of readdirSync(`/proc/${child.pid}/task`)) {
        const stat = readFileSync(`/proc/${child.pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const group = tid === String(child.pid) ? 'main thread' : /vips/.test(name) ? 'libvips workers' : `"${name}" threads`;
        ticks.set(tid, { group, ticks: Number(f[11]) + Number(f[12]) }); // utime + stime
      }
    } catch { /* the process or a thread ended between listing and reading */ }
  };
  const timer = setInterval(sample, 50);
  return new Promise((done, fail) => child.on('exit', (code) => {
    clearInterval(timer);
    rmSync(dir, { recursive: true, force: true });
    if (code !== 0) return fail(new Error(`ctflow run exited with ${code}`));
    const groups = new Map<string, number>();
    for (const { group, ticks: t } of ticks.values()) groups.set(group, (groups.get(group) ?? 0) + (t * TICK_MS) / slices);
    done({ groups, wall: (performance.now() - t0) / 1000 });
  }));
}

console.log(`machine: ${cpus()[0]?.model ?? '?'}, ${availableParallelism()} cores; load average at start ${load()}`);
console.log(`folder: ${folder}: ${slices} JPEG slices; CPU ms a slice per thread group (the last sample before each thread ended)`);
const settings: [string, NodeJS.ProcessEnv, string][] = a.build
  ? a.build.map((b) => { const [name, dir] = b.split('='); return [`${name} (${resolve(dir ?? '.')})`, {}, dir ?? '.']; })
  : [['as built', {}, '.'], ['CTFLOW_JPEG_NATIVE=0 (WebAssembly decoder)', { CTFLOW_JPEG_NATIVE: '0' }, '.'], ['CTFLOW_JPEG_WASM=0 (sharp only)', { CTFLOW_JPEG_WASM: '0' }, '.']];
for (let round = 1; round <= Number(a.rounds); round++) {
  for (const [what, env, root] of settings) {
    const { groups, wall } = await run(env, root);
    const total = [...groups.values()].reduce((s, v) => s + v, 0);
    const parts = [...groups].sort((x, y) => y[1] - x[1]).map(([g, v]) => `${g} ${v.toFixed(2)}`).join(', ');
    console.log(`round ${round}, ${what}: total ${total.toFixed(2)} ms a slice (${parts}); ${wall.toFixed(1)} s, ${(slices / wall).toFixed(0)} slices/s; load ${load()}`);
  }
}
