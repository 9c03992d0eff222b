// Code that kinds and port types contribute to reports and exports, named by file and export and
// loaded only when used: the registry's load and a no-op rerun never touch it. It is named by URL
// (not by an import() the compiler sees) because it reads outputs and does not make them: it is
// no part of any kind's implementation hash (engine/impl-hash.ts), so editing a report section
// does not rerun the nodes it draws. The conformance suite loads every one of them.

/** An export of a module, loaded on first use. Make it with `lazyExport`. */
export interface LazyExport {
  /** URL of the module. */
  readonly module: string;
  /** Name of the export: a function. */
  readonly name: string;
}

/** `name` of the file `path`, relative to the declaring file (pass its import.meta.url). */
export function lazyExport(base: string, path: string, name: string): LazyExport {
  return Object.freeze({ module: new URL(path, base).href, name });
}

/** Loads the function a LazyExport names; an error names the file and the export it lacks. */
export async function loadExport<F extends (...args: never[]) => unknown>(ref: LazyExport): Promise<F> {
  const mod = (await import(ref.module)) as Record<string, unknown>;
  const f = mod[ref.name];
  if (typeof f !== 'function') {
    throw new Error(`${ref.module} has no exported function "${ref.name}"${f === undefined ? '' : ` (it is a ${typeof f})`}; fix the name where it is declared`);
  }
  return f as F;
}
