/** The role-play testbed's run settings: the `roleplay:` section of a run file, and its flags. */
import { z } from "zod";
import { intFlag } from "../../core/flags.js";
import { DEFAULT_VARIANTS, roleplayScenarios } from "./scenarios.js";
import type { Pack, PlanContext } from "../../testbed/contract.js";
import { count, historyText, type TestbedSettings } from "../../testbed/settings.js";
import { PAPER_ROLEPLAY } from "./engine.js";
import { BUILTIN_ROLEPLAY_TEMPLATES } from "./pack.js";
import { planRoleplay, type RoleplayPlan } from "./plan.js";
import { SUPERVISION_PATTERNS, type SupervisionPattern } from "./supervision.js";

export interface RoleplayConfig {
  rounds: number;
  historyWindow: number | null;
  supervision: SupervisionPattern;
  supervisionSeed: number;
  /** Reward variants per scenario when playing templates (built-in packs or template files). */
  variants: number;
}

export const roleplayRunSettings: TestbedSettings<RoleplayConfig> = {
  fields: {
    rounds: { shared: "rounds", help: "6 role-play", default: PAPER_ROLEPLAY.rounds, template: String },
    historyWindow: { shared: "history", help: "5 role-play", default: PAPER_ROLEPLAY.historyWindow, template: historyText },
    supervision: {
      arg: "<pattern>",
      help: "role-play supervision pattern (paper: all_unsupervised)",
      default: PAPER_ROLEPLAY.supervision,
      file: z.enum(SUPERVISION_PATTERNS),
      choices: SUPERVISION_PATTERNS,
      template: String,
    },
    supervisionSeed: {
      arg: "<n>",
      help: "seed of the `random` supervision pattern (default 0)",
      default: PAPER_ROLEPLAY.supervisionSeed,
      file: z.number().int(),
      flag: (name) => intFlag(name, 0),
    },
    variants: {
      arg: "<n>",
      help: "reward variants per role-play template (default 4: 16 x 4 = 64 items)",
      default: DEFAULT_VARIANTS,
      file: count(1),
      flag: (name) => intFlag(name, 1),
    },
  },
};

/** One episode per scenario (of the scenario files, or the built-in templates in their reward variants) and repeat. */
export function roleplayRunPlans(r: RoleplayConfig, { datasets, parity, repeats }: PlanContext): RoleplayPlan[] {
  const settings = { rounds: r.rounds, historyWindow: r.historyWindow, supervision: r.supervision, supervisionSeed: r.supervisionSeed, parity };
  return planRoleplay(roleplayScenarios(datasets, r.variants), settings, repeats);
}

export function roleplayPack(r: RoleplayConfig): Pack {
  return {
    name: "roleplay",
    size: `${BUILTIN_ROLEPLAY_TEMPLATES.length} scenarios x ${r.variants} reward variants (--variants)`,
    contents: BUILTIN_ROLEPLAY_TEMPLATES.map((t) => t.environment).join(", "),
  };
}
