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
