/** Which game framings a run plays: those of the given game template files, or the built-in pack when none is given. */
import { InputError } from "../../core/errors.js";
import type { Dataset, GameScenario } from "../../scenarios/types.js";
import { BUILTIN_GAME_SCENARIOS } from "./pack.js";

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
