// Hosts refuse to replace an existing file unless the user confirms (web mode marks the refusal
// with `exists`; through Electron's IPC only the message survives).
export function outputExists(e: unknown): boolean {
  return (e as { exists?: unknown } | null)?.exists === true || /already exists: confirm to replace it/.test(String((e as Error | null)?.message));
}

/** Runs write(false); when the file exists, asks once and runs write(true) if the user agrees. */
export async function confirmOverwrite<T>(file: string, write: (overwrite: boolean) => Promise<T>, ask: (q: string) => boolean = confirm): Promise<T> {
  try {
    return await write(false);
  } catch (e) {
    if (!outputExists(e) || !ask(`${file} already exists. Replace it?`)) throw e;
    return write(true);
  }
}
