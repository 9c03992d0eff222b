// Importing an optional dependency (native TensorFlow.js bindings, Dawn, the WebGPU backend): the
// error says which package and what to do instead of a bare module-not-found.

/** Import a package that may be absent; the error says which and what to do (`hint`). */
export async function importOptional(pkg: string, hint: string): Promise<any> {
  try {
    return await import(pkg);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const what = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' ? 'is not installed' : 'failed to load';
    throw new Error(`${pkg} ${what} (${(e as Error).message.split('\n')[0]}). ${hint}`);
  }
}
