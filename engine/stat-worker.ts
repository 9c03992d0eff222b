// Worker thread of stat-ahead.ts: stats the files of each request (paths joined by '\0', which no
// path holds) and answers with their numbers packed (stat-pack.ts), the buffer transferred; asked
// to, it also hashes them (fingerprint.ts's hashPacked: a folder the memo does not know yet).
import { parentPort } from 'node:worker_threads';
import { hashPacked } from './fingerprint.js';
import { statPacked } from './stat-pack.js';

parentPort!.on('message', ({ id, files, hash }: { id: number; files: string; hash: boolean }) => {
  const list = files.split('\0'), stats = statPacked(list);
  const digests = hash ? hashPacked(list, stats) : undefined;
  parentPort!.postMessage({ id, stats, digests }, digests ? [stats.buffer as ArrayBuffer, digests.buffer as ArrayBuffer] : [stats.buffer as ArrayBuffer]);
});
