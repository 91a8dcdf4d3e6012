/**
 * A problem with what the user gave us (a file, a field, a flag value). The CLI prints the
 * message and exits with code 2; nothing is written.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/** Builds an InputError that names the file, the field and the reason, in one fixed layout. */
export function inputError(file: string, field: string, reason: string): InputError {
  const where = field ? `${file}: field '${field}'` : file;
  return new InputError(`${where}: ${reason}`);
}

/**
 * A run stopped by a signal (Ctrl-C, SIGTERM) after saving what it had finished. The CLI prints
 * the message, which says what is saved and how to continue, and exits with 128 + the signal's number.
 */
export class RunStopped extends Error {
  constructor(
    message: string,
    readonly signal: NodeJS.Signals,
  ) {
    super(message);
    this.name = "RunStopped";
  }
}
