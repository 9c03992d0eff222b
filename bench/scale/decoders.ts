// JPEG decoding of 512² greyscale CT slices: CPU milliseconds a slice for each decoder ctflow could
// use, against OpenCV's cv2.imdecode (what jpeg_folder_lung.py's cv2.imread runs), on the same
// files in the same run, rounds alternating so that all meet the same machine load. Each result is
// checked byte for byte against sharp's (what image-folder decodes with): a decoder that differs
// cannot replace it. Prints machine, load and every library's version.
//
//   npm run build && node dist/bench/scale/decoders.js SCAN_FOLDER [--slices 200] [--rounds 3]
//
// sharp is also measured joining 8 and 32 slices in one call (sharp's `join`: one pipeline, the
// slices stacked). libjpeg-turbo as WebAssembly twice: native/jpeg-gray (ctflow's own build, SIMD
// inverse DCT, called as image-folder's decoding workers call it: wasm-jpeg.ts) and the plain C
// build it replaced (@cwasm/jpeg-turbo, a devDependency); and native/jpeg-gray's Node-API addon
// (native-jpeg.ts, what the workers run on x86-64 Linux). Optional: @julusian/jpeg-turbo (npm install
// --no-save; native libjpeg-turbo, prebuilt; 2.x: its 3.x prebuild needs Node-API 10 and crashes Node 20).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { naturalCompare } from '../../nodes/kernels/image-folder/natural-sort.js';
import { jpegFrame } from '../../nodes/kernels/image-folder/sniff.js';
import { jpegDecoderName } from '../../nodes/kernels/image-folder/chunk-reader.js';
import { nativeJpeg } from '../../nodes/kernels/image-folder/native-jpeg.js';
import { wasmJpeg, wasmJpegBuild } from '../../nodes/kernels/image-folder/wasm-jpeg.js';
import { turboJpegGrey } from '../../test/helpers/turbojpeg-wasm.js';

const { values: a, positionals } = parseArgs({
  allowPositionals: true,
  options: { slices: { type: 'string', default: '200' }, rounds: { type: 'string', default: '3' }, python: { type: 'string', default: '/usr/bin/python3' } },
});
if (positionals.length !== 1) {
  console.error('usage: node dist/bench/scale/decoders.js SCAN_FOLDER [--slices 200] [--rounds 3]   (a folder of one scan\'s .jpg slices)');
  process.exit(2);
}
const dir = resolve(positionals[0]);
const names = readdirSync(dir).filter((f) => /\.jpe?g$/i.test(f)).sort(naturalCompare).slice(0, Number(a.slices));
const files = names.map((f) => readFileSync(join(dir, f)));
/** Pixels of each slice (its frame header's width × height). */
const pixels = files.map((b) => { const f = jpegFrame(b)!; return f.width * f.height; });
const require = createRequire(import.meta.url);
const optional = <T>(name: string): T | undefined => { try { return require(name) as T; } catch { return undefined; } };
const versionOf = (name: string) => { try { return (require(`${name}/package.json`) as { version: string }).version; } catch { return 'not installed'; } };

const { default: sharp } = await import('sharp');
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`machine: ${cpus()[0]?.model ?? '?'}, ${availableParallelism()} cores; load average at start ${load()}`);
console.log(`Node ${process.version}; sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}, its JPEG codec ${sharp.versions.mozjpeg ? `mozjpeg ${sharp.versions.mozjpeg}` : 'libjpeg-turbo'}); ` +
  `@cwasm/jpeg-turbo ${versionOf('@cwasm/jpeg-turbo')}; @julusian/jpeg-turbo ${versionOf('@julusian/jpeg-turbo')}`);
console.log(`native/jpeg-gray: ${wasmJpegBuild()}`);
console.log(`image-folder's workers run: ${jpegDecoderName()}`);
console.log(`slices: ${files.length} of ${dir}, ${(files.reduce((s, b) => s + b.length, 0) / files.length / 1024).toFixed(0)} KiB each on average`);

type Decode = (bytes: Buffer) => Promise<Uint8Array> | Uint8Array;
/** `join`: the decoder takes `join` slices a call (decodeMany) and returns them back to back. */
interface Decoder { name: string; decode: Decode; inFlight: number; setup?: () => void; join?: number; decodeMany?: (bytes: Buffer[]) => Promise<Uint8Array> | Uint8Array }

const viaSharp = (options: { sequentialRead?: boolean } = {}): Decode =>
  (b) => sharp(b, { failOn: 'warning', ...options }).toColourspace('b-w').raw().toBuffer();
const decoders: Decoder[] = [
  { name: 'sharp, as image-folder (4 in flight)', decode: viaSharp(), inFlight: 4, setup: () => sharp.concurrency(0) },
  { name: 'sharp, concurrency(1), 4 in flight', decode: viaSharp(), inFlight: 4, setup: () => sharp.concurrency(1) },
  { name: 'sharp, concurrency(1), sequentialRead, 4 in flight', decode: viaSharp({ sequentialRead: true }), inFlight: 4, setup: () => sharp.concurrency(1) },
  { name: 'sharp, concurrency(1), one at a time', decode: viaSharp(), inFlight: 1, setup: () => sharp.concurrency(1) },
];
// sharp ≥ 0.34 joins an array of inputs in one pipeline (stacked vertically: K slices back to back)
for (const k of [8, 32]) {
  decoders.push({
    name: `sharp, ${k} slices a call (join), 1 in flight`, decode: viaSharp(), inFlight: 1, setup: () => sharp.concurrency(0), join: k,
    decodeMany: (bs) => (bs.length > 1 ? sharp(bs, { failOn: 'warning', join: { animated: true } }).toColourspace('b-w').raw().toBuffer() : viaSharp()(bs[0])),
  });
}
const wasm = wasmJpeg();
decoders.push({
  name: 'libjpeg-turbo wasm SIMD (native/jpeg-gray), as image-folder\'s workers call it, one thread',
  decode: (b) => { const f = jpegFrame(b)!; return wasm(b, f.width, f.height) ?? new Uint8Array(0); }, inFlight: 1,
});
const addon = nativeJpeg();
if (addon) {
  decoders.push({
    name: 'libjpeg-turbo addon (native/jpeg-gray), as image-folder\'s workers call it, one thread',
    decode: (b) => { const f = jpegFrame(b)!; return addon(b, f.width, f.height) ?? new Uint8Array(0); }, inFlight: 1,
  });
}
const plainC = turboJpegGrey();
if (plainC) decoders.push({ name: 'libjpeg-turbo wasm, plain C (@cwasm, ctflow\'s until session 11), one thread', decode: (b) => plainC(b)?.grey ?? new Uint8Array(0), inFlight: 1 });
const julusian = optional<{ decompressSync(b: Buffer, o: { format: number }): { data: Buffer }; decompress(b: Buffer, o: { format: number }): Promise<{ data: Buffer }>; FORMAT_GRAY: number }>('@julusian/jpeg-turbo');
if (julusian) {
  decoders.push({ name: 'native libjpeg-turbo (@julusian), sync', decode: (b) => julusian.decompressSync(b, { format: julusian.FORMAT_GRAY }).data, inFlight: 1 });
  decoders.push({ name: 'native libjpeg-turbo (@julusian), async, 2 in flight', decode: async (b) => (await julusian.decompress(b, { format: julusian.FORMAT_GRAY })).data, inFlight: 2 });
}

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

/** Wall and process CPU (all threads) per slice for one pass over the files. */
async function pass(d: Decoder): Promise<{ wall: number; cpu: number; out: Uint8Array[] }> {
  d.setup?.();
  const out: Uint8Array[] = new Array(files.length);
  let next = 0;
  const c0 = cpuMs(), t0 = performance.now();
  await Promise.all(Array.from({ length: d.inFlight }, async () => {
    while (next < files.length) {
      const k = next;
      if (!d.decodeMany) { next++; out[k] = await d.decode(files[k]); continue; }
      next = Math.min(files.length, k + d.join!);
      const all = await d.decodeMany(files.slice(k, next));
      for (let i = k, at = 0; i < next; at += pixels[i], i++) out[i] = all.subarray(at, at + pixels[i]);
    }
  }));
  return { wall: (performance.now() - t0) / files.length, cpu: (cpuMs() - c0) / files.length, out };
}

/** cv2.imdecode on the same files, one process, one OpenCV thread (as the anchor sets it): CPU ms a slice. */
function opencvPass(): { wall: number; cpu: number; hashes: string[]; version: string } {
  const script = `import sys, time, hashlib, cv2, numpy as np
cv2.setNumThreads(1)
bufs = [np.frombuffer(open(p, 'rb').read(), np.uint8) for p in sys.argv[1:]]
for b in bufs[:5]: cv2.imdecode(b, cv2.IMREAD_GRAYSCALE)
c, t = time.process_time(), time.perf_counter()
out = [cv2.imdecode(b, cv2.IMREAD_GRAYSCALE) for b in bufs]
wall, cpu = (time.perf_counter() - t) * 1000 / len(bufs), (time.process_time() - c) * 1000 / len(bufs)
same = [hashlib.sha256(o.tobytes()).hexdigest() for o in out]
print(wall, cpu, ",".join(same), "Python", sys.version.split()[0], "OpenCV", cv2.__version__)`;
  const r = spawnSync(a.python!, ['-c', script, ...names.map((f) => join(dir, f))], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`OpenCV side failed: ${r.stderr}`);
  const [wall, cpu, hashes, ...v] = r.stdout.trim().split(' ');
  return { wall: Number(wall), cpu: Number(cpu), hashes: hashes.split(','), version: v.join(' ') };
}

const reference = (await pass(decoders[0])).out; // also the warm-up of sharp
for (const d of decoders) {
  const out = (await pass(d)).out;
  const same = out.filter((o, i) => Buffer.compare(o, reference[i]) === 0).length;
  (d as Decoder & { same: number }).same = same;
}
const rows = new Map<string, { wall: number[]; cpu: number[] }>();
const add = (name: string, r: { wall: number; cpu: number }) => {
  const row = rows.get(name) ?? rows.set(name, { wall: [], cpu: [] }).get(name)!;
  row.wall.push(r.wall);
  row.cpu.push(r.cpu);
};
let opencvVersion = '', opencvSame = 0;
for (let round = 0; round < Number(a.rounds); round++) {
  const cv = opencvPass();
  opencvVersion = cv.version;
  opencvSame = cv.hashes.filter((h, i) => h === createHash('sha256').update(reference[i]).digest('hex')).length;
  add('OpenCV cv2.imdecode (anchor)', cv);
  for (const d of decoders) add(d.name, await pass(d));
}
sharp.concurrency(0);
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
const anchorCpu = median(rows.get('OpenCV cv2.imdecode (anchor)')!.cpu);
console.log(`anchor: ${opencvVersion}`);
console.log(`\n| decoder | CPU ms/slice (median of ${a.rounds}) | wall ms/slice | OpenCV's CPU / this | equal to sharp's bytes |`);
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [name, r] of rows) {
  const d = decoders.find((x) => x.name === name) as (Decoder & { same?: number }) | undefined;
  const cpu = median(r.cpu);
  console.log(`| ${name} | ${cpu.toFixed(2)} | ${median(r.wall).toFixed(2)} | ${(anchorCpu / cpu).toFixed(2)}× | ${d ? d.same : opencvSame}/${files.length} |`);
}
console.log(`\nload average at end ${load()}`);
