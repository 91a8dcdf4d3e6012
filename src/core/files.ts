import { renameSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Writes a file whole or not at all: the text goes to a temporary file beside it, then is
 * renamed over the target, so a crash or an error never leaves a half-written output.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(temp, data);
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
