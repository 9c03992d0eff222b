// Worker thread of stat-ahead.ts: stats the files of each request (paths joined by '\0', which no
// path holds) and answers with their numbers packed (stat-pack.ts), the buffer transferred.
import { parentPort } from 'node:worker_threads';
import { statPacked } from './stat-pack.js';

parentPort!.on('message', ({ id, files }: { id: number; files: string }) => {
  const stats = statPacked(files.split('\0'));
  parentPort!.postMessage({ id, stats }, [stats.buffer as ArrayBuffer]);
});
