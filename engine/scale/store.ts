// The store that coordinator and workers share. Jobs carry keys only; data moves through this.
// A worker computes into `local` (an ordinary engine Store on this machine) and publishes what it
// committed; it reads its inputs after pulling them into `local`. For a directory on a shared
// filesystem (NFS, CephFS, a cluster's /shared) `local` *is* the shared store: pulling is a
// manifest check and publishing is the commit's own atomic rename. An S3-compatible store
// implements the same interface (docs/scale-out.md): `local` a staging cache on local disk, pull
// a download of manifest.json and the port files, publish an upload with the manifest last.
import { Store, type Lookup } from '../store.js';

export interface SharedStore {
  /** Where the store is, for logs ("/mnt/shared/runs", "s3://bucket/prefix"). */
  readonly location: string;
  /** The engine store on this machine that jobs read from and commit into. */
  readonly local: Store;
  /** Make the entry `key` present and whole in `local`; a miss says why. */
  pull(key: string): Promise<Lookup>;
  /**
   * Make the entry `key`, committed in `local`, visible to every machine. Atomic, and the first
   * publisher wins: an entry already there is kept (equal keys mean equal bytes).
   */
  publish(key: string): Promise<void>;
}

/** A runs directory on a filesystem every machine mounts (entries in <dir>/cache). */
export class DirectoryStore implements SharedStore {
  readonly local: Store;

  constructor(readonly location: string) {
    this.local = new Store(location);
  }

  async pull(key: string): Promise<Lookup> {
    return this.local.lookup(key);
  }

  async publish(): Promise<void> {
    // Committing in `local` renamed the entry into the shared directory: published already.
  }
}
