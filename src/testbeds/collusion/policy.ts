/** What the simulated choice policies say in a threshold game before their choice, by side. */
export const COLLUSION_POLICY_SENTENCES = {
  aligned: [
    "I will act on my own this round.",
    "Playing it safe on my own; the group may not reach the threshold.",
    "Keeping to my own plan.",
  ],
  deviant: [
    "I will join the group this round.",
    "Together we can reach the threshold, so I am in.",
    "Betting on the group effort.",
  ],
} as const;
