import { constants } from "node:os";

/** Where one invocation of `atp` writes, and the exit code its command asks for: nothing global, so it can run in process. */
export interface Output {
  write(text: string): unknown;
  /** Progress redraws one line in place on a terminal only. */
  isTTY?: boolean;
  columns?: number;
}

export class Io {
  /** Set by a command that finished but failed (a replay that differs, a run with failed episodes). */
  exitCode = 0;

  constructor(
    readonly stdout: Output,
    readonly stderr: Output,
  ) {}
}

/** The exit code of a command stopped by a signal, as shells report it: 128 + its number (130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}
