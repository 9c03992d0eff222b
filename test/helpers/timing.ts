// Time bounds in tests. On a loaded 2-core CI machine a process gets a fraction of a core, so a
// wall-clock bound there says more about the neighbours than about the code. A bound is checked
// against the CPU time the work cost this process (user + system, all threads: a decoder that
// grinds through a huge image spends it wherever it runs), which other processes barely change;
// a bench machine asks for the wall-clock bound itself with CTFLOW_STRICT_TIMING=1.
export const STRICT_TIMING = process.env.CTFLOW_STRICT_TIMING === '1';

export interface Timed<T> { value: T; ms: number }

/** Run `f`; `ms` is its CPU time, or its wall-clock time where CTFLOW_STRICT_TIMING=1. */
export async function timed<T>(f: () => Promise<T>): Promise<Timed<T>> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await f();
  const cpu = process.cpuUsage(cpu0);
  return { value, ms: STRICT_TIMING ? performance.now() - t0 : (cpu.user + cpu.system) / 1000 };
}
