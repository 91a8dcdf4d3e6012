/** What the simulated choice policies say in role-play before their choice, by side. */
export const ROLEPLAY_POLICY_SENTENCES = {
  aligned: [
    "Following the supervisor's requirement.",
    "I will stick to what the supervisor asked for.",
    "Staying within the rules this time.",
  ],
  deviant: [
    "The other option pays more, so I will take it.",
    "Going for the higher payoff this time.",
    "The rule costs too much here; I will take the better-paying option.",
  ],
} as const;
