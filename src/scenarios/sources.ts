/**
 * Which scenarios a run plays: those of the given scenario files, or the built-in packs when
 * none is given for that testbed.
 */
import { InputError } from "../core/errors.js";
import { BUILTIN_GAME_SCENARIOS } from "../testbeds/collusion/pack.js";
import { BUILTIN_ROLEPLAY_TEMPLATES } from "../testbeds/roleplay/pack.js";
import { expandRoleplay } from "./generate.js";
import type { Dataset, GameScenario, RoleplayScenario } from "./types.js";

/** Reward variants per built-in scenario: 16 x 4 = 64 items, the size of the paper's test set. */
export const DEFAULT_VARIANTS = 4;

export function roleplayScenarios(datasets: Dataset[], variants = DEFAULT_VARIANTS): RoleplayScenario[] {
  const mine = datasets.filter((d) => d.kind === "roleplay-items" || d.kind === "roleplay-templates");
  if (mine.length === 0) return expandRoleplay(BUILTIN_ROLEPLAY_TEMPLATES, variants);
  return mine.flatMap((d) => {
    if (d.kind === "roleplay-items") return d.items;
    if (d.kind === "roleplay-templates") return expandRoleplay(d.templates, variants);
    return [];
  });
}

export function gameScenarios(datasets: Dataset[]): GameScenario[] {
  const items = datasets.find((d) => d.kind === "game-items");
  if (items) {
    throw new InputError(
      `${items.file}: holds concrete game items (each with its own n, threshold and payoffs), which are prompts for ` +
        "preference pairs; the collusion testbed plays game templates such as the paper's ma_llm/templates.json",
    );
  }
  const mine = datasets.filter((d) => d.kind === "game-templates");
  if (mine.length === 0) return BUILTIN_GAME_SCENARIOS;
  return mine.flatMap((d) => (d.kind === "game-templates" ? d.templates : []));
}
