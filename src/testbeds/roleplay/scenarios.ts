/** Which role-play scenarios a run plays: those of the given role-play files, or the built-in pack when none is given. */
import { expandRoleplay } from "../../scenarios/generate.js";
import type { Dataset, RoleplayScenario } from "../../scenarios/types.js";
import { BUILTIN_ROLEPLAY_TEMPLATES } from "./pack.js";

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
