/**
 * A testbed's run settings, declared once in its folder: each setting's run-file key, flag, help
 * text and default, and how a flag's text or a run file's value becomes the setting. The run
 * file's section and its validation, the `atp run` flags, the defaults and the settings a testbed
 * plans from are all derived from this declaration (src/run/config.ts, src/cli/run.ts).
 */
import { z } from "zod";
import { historyFlag, intFlag } from "../core/flags.js";

/** A count in a run file: an integer of at least `min`. */
export const count = (min: number) => z.number().int().min(min);

/** A run file's history window: a number of rounds, or `all`. */
const historyValue = z.union([count(0), z.literal("all")]);

/** How a history window is written in a run file and on the command line: `all` for no window. */
export function historyText(window: number | null): string {
  return String(window ?? "all");
}

/**
 * Settings that one flag sets in every testbed the run plays (`--rounds 2` shortens every
 * testbed's episodes), each testbed with its own default; a run file sets them per testbed.
 */
export const SHARED = {
  rounds: {
    key: "rounds",
    arg: "<n>",
    help: "rounds per episode",
    file: count(1),
    flag: (name: string) => intFlag(name, 1),
    read: (value: number): number => value,
  },
  history: {
    key: "history",
    arg: "<n|all>",
    help: "rounds of history each agent sees",
    file: historyValue,
    // "all", not null, until the flag is read: commander turns a parser's null into "".
    flag: historyFlag,
    read: (value: number | "all"): number | null => (value === "all" ? null : value),
  },
} as const;

export type SharedKind = keyof typeof SHARED;

/** A setting of one testbed only: `--supervision`, `collusion.thresholds`. */
export interface OwnSetting<V, F = V> {
  /** The run file's key in the testbed's section when it is not the field's name; the flag is the key in kebab case (`toolCost`: `--tool-cost`). */
  readonly key?: string;
  /** The value's name in the flag's help: `<n>`, `<list>`. */
  readonly arg: string;
  readonly help: string;
  readonly default: V;
  /** The values a run file may give; its error messages are the run file's. */
  readonly file: z.ZodType<F>;
  /**
   * The run file's value as the setting's (the value itself when absent). `spelled` is the same
   * value with integers read as BigInt, for a setting whose meaning depends on whether a number
   * was written `2` or `2.0`.
   */
  readonly read?: (value: F, spelled: unknown) => V;
  /**
   * The flag's parser, given the flag's name for its messages: it reads the text (and the value
   * so far, when the flag is repeatable) and throws an InputError naming the flag. Absent with `choices`.
   */
  readonly flag?: (name: string) => (text: string, previous: V | undefined) => V;
  /** The only values the flag takes; commander refuses the others. */
  readonly choices?: readonly string[];
  /** The value as `atp init` writes it: a line's value, or the lines of a block. Left out of that file without it. */
  readonly template?: (value: V) => string | string[];
  readonly shared?: undefined;
}

/** A testbed's own default for a shared setting; its help is the testbed's part of the shared flag's help (`6 role-play`). */
export interface SharedSetting<V> {
  readonly shared: SharedKind;
  readonly help: string;
  readonly default: V;
  readonly template?: (value: V) => string | string[];
}

// The run-file type of a setting is its own business: a list of settings holds any.
export type Setting<V> = OwnSetting<V, any> | SharedSetting<V>;

/** A testbed's settings, by the field of the settings object: their order is the flags' and the run file's. */
export interface TestbedSettings<C extends object> {
  readonly fields: { readonly [K in keyof C]: Setting<C[K]> };
  /** Checks that need more than one setting, or the whole run's; `where` names a key as the user gave it (a flag, or the run file's field). */
  check?(settings: C, where: (key: string) => string): void;
}

/** The key of a setting in a run file's section. */
export function settingKey(field: string, setting: Setting<unknown>): string {
  return setting.shared ? SHARED[setting.shared].key : (setting.key ?? field);
}

/** `toolCost` as the user types it: `--tool-cost`. */
export function flagName(key: string): string {
  return `--${key.replace(/([A-Z])/g, "-$1").toLowerCase()}`;
}

/** The settings' fields with their declarations, in order. */
export function settingEntries(settings: TestbedSettings<object>): [string, Setting<unknown>][] {
  return Object.entries(settings.fields) as [string, Setting<unknown>][];
}

/** A fresh copy of the defaults, safe to change. */
export function defaultSettings<C extends object>(settings: TestbedSettings<C>): C {
  return Object.fromEntries(settingEntries(settings).map(([field, s]) => [field, structuredClone(s.default)])) as C;
}

/** The run file's section: every key optional, unknown keys refused. */
export function sectionSchema(settings: TestbedSettings<object>) {
  const shape = Object.fromEntries(settingEntries(settings).map(([field, s]) => [settingKey(field, s), s.shared ? SHARED[s.shared].file : s.file]));
  return z.object(shape).partial().strict();
}

/** The settings a validated run-file section gives, laid over `into`; `spelled` is the section read with integers as BigInt. */
export function readSection(settings: TestbedSettings<object>, section: Record<string, unknown>, spelled: Record<string, unknown> | undefined, into: object): void {
  for (const [field, s] of settingEntries(settings)) {
    const key = settingKey(field, s);
    const value = section[key];
    if (value === undefined) continue;
    const read = s.shared ? (SHARED[s.shared].read as (v: unknown) => unknown) : s.read;
    (into as Record<string, unknown>)[field] = read ? read(value, spelled?.[key]) : value;
  }
}
