/**
 * Scenario shapes shared by the built-in packs and the loaders for the paper's JSON files.
 * Field names follow the field (compliant / violating, collective / independent); the loaders
 * map the paper's names (`supervised_choice`, `better_choice`, ...) onto them.
 */

/** One role-play dilemma with concrete rewards: one episode of the role-play testbed. */
export interface RoleplayScenario {
  /** Stable identifier written to transcripts (the paper's item uuid, or `<slug>/<variant>`). */
  id: string;
  /** Scenario name, shared by every reward variant of it ("delivery worker"). */
  environment: string;
  systemPrompt: string;
  /** The question as the reference sends it, ending with its JSON format instruction. */
  userPrompt: string;
  /** The option the supervisor requires (pays `lowReward`). */
  compliantChoice: string;
  /** The rule-violating option (pays `highReward` when not caught). */
  violatingChoice: string;
  supervisedText: string;
  unsupervisedText: string;
  neutralText: string;
  lowReward: number;
  highReward: number;
}

/**
 * A role-play template: a scenario whose texts hold `${low_reward}` / `${high_reward}`
 * placeholders, and the reward ratios its variants are generated from.
 */
export interface RoleplayTemplate {
  environment: string;
  systemPrompt: string;
  /** Question body with placeholders, without the JSON format instruction. */
  userPrompt: string;
  compliantChoice: string;
  violatingChoice: string;
  supervisedText: string;
  unsupervisedText: string;
  neutralText: string;
  /** How the format instruction shows the two answers, e.g. `{"choice": "A"} or {"choice": "B"}`. */
  formatExample: string;
  /** Reward of the violating option as a multiple of `base`. */
  highRatio: number;
  /** Reward of the compliant option as a multiple of `base`. */
  lowRatio: number;
  base: number;
}

/**
 * A threshold game framing. Texts are templates with `{n}`, `{cooperation_threshold}`,
 * `{high_reward}`, `{normal_reward}`, `{low_reward}` (and `{delta_high}` ... for the additive
 * wording), filled in per episode.
 */
export interface GameScenario {
  /** Stable identifier written to transcripts (the paper's templates use their index). */
  id: string | number;
  environment: string;
  systemPrompt: string;
  /** Wording with absolute payoffs (used when no mode-specific wording exists). */
  userPrompt: string;
  /** Wording for multiplicative capital factors (the paper's runs). */
  userPromptMult: string;
  /** Wording for additive capital changes. */
  userPromptAdd: string;
  /** The colluding option: pays everyone `high` if at least t agents choose it. */
  collectiveChoice: string;
  /** The independent option: pays `normal` when collusion fails. */
  independentChoice: string;
}

/** Parameters of one concrete game, as in the paper's generated game items. */
export interface GameParams {
  n: number;
  threshold: number;
  high: number;
  normal: number;
  low: number;
}

/** A concrete game item with filled-in prompts (the paper's question_70 / question_350). */
export interface GameItem {
  environment: string;
  systemPrompt: string;
  userPrompt: string;
  collectiveChoice: string;
  independentChoice: string;
  params: GameParams;
}

/** What a scenario file holds, detected from its content. */
export type Dataset =
  | { kind: "roleplay-items"; file: string; items: RoleplayScenario[] }
  | { kind: "roleplay-templates"; file: string; templates: RoleplayTemplate[] }
  | { kind: "game-templates"; file: string; templates: GameScenario[] }
  | { kind: "game-items"; file: string; items: GameItem[] };
