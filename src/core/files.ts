import { accessSync, constants, readFileSync, renameSync, statSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { InputError } from "./errors.js";

/** Reads a text file the user named; a missing, unreadable or non-UTF-8 file is an InputError naming it. */
export function readUserText(file: string, kind: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new InputError(`${file}: file not found`);
    if (code === "EISDIR") throw new InputError(`${file}: is a directory, not ${kind}`);
    if (code === "EACCES" || code === "EPERM") throw new InputError(`${file}: permission denied`);
    throw new InputError(`${file}: cannot read (${(err as Error).message})`);
  }
  try {
    // fatal: a file in another encoding should fail here rather than load with mangled text.
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(`${file}: not valid UTF-8 text (save it as UTF-8)`);
  }
}

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

/**
 * Checks, before any work, that writeFileAtomic can later write `file`: it is not a folder and
 * its nearest existing parent is a folder we may write in. `flag` names the setting in errors,
 * `exampleName` is the file name the error suggests.
 */
export function checkOutputFile(file: string, flag: string, exampleName: string): void {
  const stat = (p: string) => {
    try {
      return statSync(p);
    } catch {
      return undefined; // missing, or under a file (ENOTDIR)
    }
  };
  const isDir = (p: string) => stat(p)?.isDirectory();
  if (isDir(file)) throw new InputError(`${flag} ${file}: is a folder; give a file name, e.g. ${file.replace(/\/+$/, "")}/${exampleName}`);
  let parent = dirname(resolve(file));
  while (!stat(parent)) parent = dirname(parent);
  if (!isDir(parent)) throw new InputError(`${flag} ${file}: ${parent} is not a folder`);
  try {
    accessSync(parent, constants.W_OK);
  } catch {
    throw new InputError(`${flag} ${file}: cannot write in ${parent} (permission denied)`);
  }
}
