/**
 * The runs that play several testbeds together, and the one place that says which: `atp run
 * paper` is the paper's experiment, role-play and collusion under the reference's exact
 * behaviour, with tool use added on request (`--with-tooluse`, `withToolUse: true`).
 */
import type { Parity } from "../core/types.js";

export interface Preset {
  /** The name in `atp run NAME` and a run file's `suite`. */
  readonly id: string;
  /** What it plays, in a line (`atp list`). */
  readonly about: string;
  /** The testbeds it plays. */
  readonly plays: readonly string[];
  /** The testbed `--with-tooluse` adds to it. */
  readonly withToolUse: string;
  readonly parity: Parity;
}

export const PRESETS: readonly Preset[] = [
  {
    id: "paper",
    about: "role-play and collusion with the paper's settings (--with-tooluse adds tool use)",
    plays: ["roleplay", "collusion"],
    withToolUse: "tooluse",
    parity: "paper",
  },
];

/** The flag that adds a preset's extra testbed: the run file's key is `withToolUse`. */
export const WITH_TOOLUSE = { flag: "--with-tooluse", help: "paper: also play the tool-use testbed" };

/** What `atp run --help` says of the presets, after its first line. */
export const PRESETS_HELP =
  "`paper` plays role-play and collusion with the paper's settings (and defaults to --parity paper;\n" +
  "--with-tooluse adds the tool-use testbed); `tooluse` plays the tool-use testbed alone;\n";

export function findPreset(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}

/** The testbeds a run of `suite` (a preset or a testbed's id) plays, in no particular order. */
export function playedIds(suite: string, withToolUse: boolean): string[] {
  const preset = findPreset(suite);
  if (!preset) return [suite];
  return withToolUse ? [...preset.plays, preset.withToolUse] : [...preset.plays];
}

/** Why a run of `suite` does not play `testbed` although a preset could: a hint to end a message, or "". */
export function addHint(suite: string, testbed: string): string {
  return findPreset(suite)?.withToolUse === testbed ? ` (add ${WITH_TOOLUSE.flag}, or withToolUse: true in a run file)` : "";
}

/** Whether `withToolUse` means anything for a run of `suite`: for a preset that adds a testbed, or that testbed alone. */
export function takesWithToolUse(suite: string): boolean {
  return findPreset(suite) !== undefined || PRESETS.some((p) => p.withToolUse === suite);
}
