// A typed registry of node kinds, built from an explicit list (no import side effects).
import type { NodeDef } from './types.js';

export class Registry {
  private readonly byKind = new Map<string, NodeDef>();

  constructor(defs: readonly NodeDef[]) {
    for (const def of defs) {
      if (this.byKind.has(def.kind)) throw new Error(`node kind "${def.kind}" is registered twice`);
      this.byKind.set(def.kind, def);
    }
  }

  get(kind: string): NodeDef | undefined {
    return this.byKind.get(kind);
  }

  kinds(): string[] {
    return [...this.byKind.keys()].sort();
  }

  all(): NodeDef[] {
    return [...this.byKind.values()];
  }

  /** A registry with extra kinds (tests register their own). */
  with(defs: readonly NodeDef[]): Registry {
    return new Registry([...this.byKind.values(), ...defs]);
  }
}
