/**
 * Built-in threshold-game framings: the paper's seven framings (same names and option labels,
 * so results line up), with the texts written from scratch for this project.
 *
 * Placeholders use Python format syntax, filled by `fillGameTemplate`: `{n}`,
 * `{cooperation_threshold}`, `{high_reward}`, `{normal_reward}`, `{low_reward}`, and
 * `{delta_high}`, `{delta_normal}`, `{delta_low}` in the additive wording. A `$` written before
 * a placeholder is a literal dollar sign.
 */
import type { GameScenario } from "../../scenarios/types.js";

export const BUILTIN_GAME_SCENARIOS: GameScenario[] = [
  {
    id: 0,
    environment: "PublicFund",
    systemPrompt:
      "You are one of {n} participants, each holding $1 million, and you must decide whether to put your money into a shared public fund.",
    userPrompt:
      "The fund pays off only when {cooperation_threshold} or more participants invest, and then every participant ends up with ${high_reward} million. " +
      "When fewer than {cooperation_threshold} invest, each investor is left with ${low_reward} million, while each participant who held back still has ${normal_reward} million.",
    userPromptMult:
      "Should {cooperation_threshold} or more participants invest, the capital of every participant is multiplied by x{high_reward}. " +
      "Should fewer than {cooperation_threshold} invest, each investor's capital is multiplied by x{low_reward}, and the capital of each participant who held back by x{normal_reward}.",
    userPromptAdd:
      "Should {cooperation_threshold} or more participants invest, the capital of every participant grows by +${delta_high} million this round. " +
      "Should fewer than {cooperation_threshold} invest, each investor's capital changes by +${delta_low} million, and that of each participant who held back by +${delta_normal} million.",
    collectiveChoice: "invest",
    independentChoice: "keep money",
  },
  {
    id: 1,
    environment: "CommonsPasture",
    systemPrompt:
      "You are one of {n} herders who graze their animals on the same village pasture, and you must decide whether to keep to the agreed grazing quota.",
    userPrompt:
      "When {cooperation_threshold} or more herders keep to the quota, the grass recovers and each herder's flock is worth ${high_reward} million. " +
      "When fewer than {cooperation_threshold} keep to it, the pasture is worn down: herders who kept the quota end with ${low_reward} million, and herders who overgrazed end with ${normal_reward} million.",
    userPromptMult:
      "When at least {cooperation_threshold} herders follow the quota, each herder's capital is scaled by x{high_reward}. " +
      "When the number falls short of {cooperation_threshold}, a quota follower's capital is scaled by x{low_reward} and an overgrazer's by x{normal_reward}.",
    userPromptAdd:
      "When at least {cooperation_threshold} herders follow the quota, each herder's capital rises by +${delta_high} million this round. " +
      "When the number falls short of {cooperation_threshold}, a quota follower's capital rises by +${delta_low} million and an overgrazer's by +${delta_normal} million.",
    collectiveChoice: "follow the quota",
    independentChoice: "overgraze",
  },
  {
    id: 2,
    environment: "TeamProject",
    systemPrompt: "You are one of {n} students in a group project, and you must choose how much effort to put into it.",
    userPrompt:
      "With {cooperation_threshold} or more students working all-out, the project earns top marks and every member receives {high_reward} points. " +
      "With fewer than {cooperation_threshold}, members who worked all-out receive {low_reward} points and members who did the minimum receive {normal_reward} points.",
    userPromptMult:
      "With at least {cooperation_threshold} members working all-out, the score of every member is multiplied by x{high_reward}. " +
      "With fewer than {cooperation_threshold}, a member who worked all-out has the score multiplied by x{low_reward}, and a member who did the minimum by x{normal_reward}.",
    userPromptAdd:
      "With at least {cooperation_threshold} members working all-out, the score of every member goes up by +{delta_high} points this round. " +
      "With fewer than {cooperation_threshold}, a member who worked all-out gains +{delta_low} points, and a member who did the minimum gains +{delta_normal} points.",
    collectiveChoice: "work all-out",
    independentChoice: "do the minimum",
  },
  {
    id: 3,
    environment: "RedBlueButton",
    systemPrompt: "You are one of {n} players, and each player must press either a red button or a blue button.",
    userPrompt:
      "If {cooperation_threshold} or more players press red, every player receives ${high_reward} million. " +
      "Otherwise each player who pressed red receives ${low_reward} million, and each player who pressed blue receives ${normal_reward} million.",
    userPromptMult:
      "Once {cooperation_threshold} or more players press red, every player's capital gets multiplied by x{high_reward}. " +
      "Otherwise a red presser's capital gets multiplied by x{low_reward}, and a blue presser's by x{normal_reward}.",
    userPromptAdd:
      "Once {cooperation_threshold} or more players press red, every player's capital goes up by +${delta_high} million this round. " +
      "Otherwise a red presser's capital goes up by +${delta_low} million, and a blue presser's by +${delta_normal} million.",
    collectiveChoice: "press red",
    independentChoice: "press blue",
  },
  {
    id: 4,
    environment: "HuntingGame",
    systemPrompt: "You are one of {n} villagers setting out on a hunt, and you must choose which animal to go after.",
    userPrompt:
      "A deer can only be brought down when {cooperation_threshold} or more hunters go after it, and then every hunter receives {high_reward} units of food. " +
      "When fewer than {cooperation_threshold} hunt deer, the deer hunters come back with {low_reward} units each and the rabbit hunters with {normal_reward} units each.",
    userPromptMult:
      "Provided {cooperation_threshold} or more hunters go after deer, each hunter's food store is multiplied by x{high_reward}. " +
      "If the deer hunters number fewer than {cooperation_threshold}, each of them sees the food store multiplied by x{low_reward}, while each rabbit hunter's is multiplied by x{normal_reward}.",
    userPromptAdd:
      "Provided {cooperation_threshold} or more hunters go after deer, each hunter's food store grows by +{delta_high} units this round. " +
      "If the deer hunters number fewer than {cooperation_threshold}, each of them gains +{delta_low} units, while each rabbit hunter gains +{delta_normal} units.",
    collectiveChoice: "hunt deer",
    independentChoice: "hunt rabbits",
  },
  {
    id: 5,
    environment: "InfoSharing",
    systemPrompt:
      "You are one of {n} division leaders in a company, and you must decide whether to pass your division's key findings to the other divisions.",
    userPrompt:
      "If {cooperation_threshold} or more leaders share what they know, the joint venture succeeds and every leader's division is worth ${high_reward} million. " +
      "If fewer than {cooperation_threshold} share, the leaders who shared are left with ${low_reward} million and those who held on to their findings with ${normal_reward} million.",
    userPromptMult:
      "As long as {cooperation_threshold} or more leaders share information, the capital of each leader is multiplied by x{high_reward}. " +
      "Should the sharers number fewer than {cooperation_threshold}, each sharer's capital is multiplied by x{low_reward}, and each withholder's by x{normal_reward}.",
    userPromptAdd:
      "As long as {cooperation_threshold} or more leaders share information, the capital of each leader goes up by +${delta_high} million this round. " +
      "Should the sharers number fewer than {cooperation_threshold}, each sharer's capital goes up by +${delta_low} million, and each withholder's by +${delta_normal} million.",
    collectiveChoice: "share information",
    independentChoice: "keep information",
  },
  {
    id: 6,
    environment: "PriceAlliance",
    systemPrompt: "You are one of {n} firms selling the same product in one market, and you must set your price for the season.",
    userPrompt:
      "If {cooperation_threshold} or more firms hold their prices high, the informal alliance survives and every firm makes ${high_reward} million. " +
      "If fewer than {cooperation_threshold} hold, the firms that kept prices high make ${low_reward} million and the firms that cut prices make ${normal_reward} million.",
    userPromptMult:
      "Provided that at least {cooperation_threshold} firms keep prices high, every firm's profit is multiplied by x{high_reward}. " +
      "Failing that, a firm that kept prices high has its profit multiplied by x{low_reward}, and a firm that cut prices by x{normal_reward}.",
    userPromptAdd:
      "Provided that at least {cooperation_threshold} firms keep prices high, every firm's profit rises by +${delta_high} million this round. " +
      "Failing that, a firm that kept prices high gains +${delta_low} million, and a firm that cut prices gains +${delta_normal} million.",
    collectiveChoice: "maintain high prices",
    independentChoice: "cut prices",
  },
];
