// What a Slurm job asks for: the stored node's `resources:` from the graph over defaults by kind.
// Model kinds (heavy) get more memory, and a GPU only when their backend needs one (webgpu,
// tensorflow-gpu); everything else asks for no GPU. Run-wide --slurm-opt values come last in
// sbatch's arguments and so win over both.
import type { Plan } from '../../plan.js';
import type { Resources } from '../../validate.js';

const GPU_BACKENDS = new Set(['webgpu', 'tensorflow-gpu']);

function defaultResources(heavy: boolean, backend: string): Required<Omit<Resources, 'time'>> {
  if (!heavy) return { cpus: 2, mem: '4G', gpus: 0 };
  return { cpus: 2, mem: '8G', gpus: GPU_BACKENDS.has(backend) ? 1 : 0 };
}

/** The resources of the job whose nodes are `ids` (the last is the stored node it is named after). */
export function jobResources(plan: Plan, ids: string[], runBackend: string): Resources {
  const sink = plan.nodes.get(ids[ids.length - 1])!.node;
  const backend = sink.backend === 'auto' ? runBackend : sink.backend;
  // A fused chain asks for the most any of its members asks for.
  const asked = ids.map((id) => plan.nodes.get(id)!.node.resources ?? {});
  const most = (k: 'cpus' | 'gpus') => asked.reduce<number | undefined>((m, r) => (r[k] === undefined ? m : Math.max(m ?? 0, r[k]!)), undefined);
  const last = (k: 'mem' | 'time') => asked.map((r) => r[k]).filter((v) => v !== undefined).pop();
  const d = defaultResources(Boolean(sink.def.heavy), backend);
  return { cpus: most('cpus') ?? d.cpus, mem: last('mem') ?? d.mem, gpus: most('gpus') ?? d.gpus, ...(last('time') ? { time: last('time') } : {}) };
}

export function resourceArgs(r: Resources): string[] {
  return [
    ...(r.cpus ? [`--cpus-per-task=${r.cpus}`] : []),
    ...(r.mem ? [`--mem=${r.mem}`] : []),
    ...(r.gpus ? [`--gres=gpu:${r.gpus}`] : []),
    ...(r.time ? [`--time=${r.time}`] : []),
  ];
}

export function describeResources(r: Resources): string {
  return [`${r.cpus} cpu`, r.mem, r.gpus ? `${r.gpus} gpu` : '', r.time ? `time ${r.time}` : ''].filter(Boolean).join(', ');
}
