/** Shared checks for reading a testbed's settings back from a transcript record. */
import { InputError } from "../core/errors.js";

const CHOICE_PROMPT = "the reference's role-play choice_prompt override is not supported (atp sends the dataset's question as it is)";
const MERGE_PROMPTS = "the reference's merge_prompts switch is not supported (atp sends the game template's question alone, as the paper's runs do)";
/** Settings of the reference that atp does not reproduce, as a user may spell them: refused by name, never ignored. */
export const REFERENCE_ONLY: Record<string, string> = {
  choice_prompt: CHOICE_PROMPT,
  choicePrompt: CHOICE_PROMPT,
  merge_prompts: MERGE_PROMPTS,
  mergePrompts: MERGE_PROMPTS,
};

/** A recorded setting this version does not know would be silently dropped from the replay. */
export function checkKeys(record: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(record)) {
    if (!known.includes(key)) throw new InputError(`${where}: field 'settings.${key}': ${REFERENCE_ONLY[key] ?? "unknown setting"}`);
  }
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string, where: string): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw new InputError(`${where}: field 'settings.${field}': expected one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
}

/** A recorded episode must have been played on the scenario found for it. */
export function checkEnvironment(where: string, recorded: string, environment: string): void {
  if (recorded !== environment) {
    throw new InputError(`${where}: recorded on '${recorded}', but the scenario found is '${environment}' (wrong --dataset?)`);
  }
}
