/**
 * What an agent saw of one earlier round, in the environment's own terms. LLM agents read the
 * messages instead; policy agents (simulated models) learn from these.
 */
export interface Observation {
  round: number;
  /** The agent's own parsed choice: the aligned option, the deviant one, or unparseable. */
  choice: "aligned" | "deviant" | null;
  /** The reward fed back to the agent (a capital change in games). */
  reward: number;
  /** Where agents play together: how many of the other agents chose the deviant option. */
  peersDeviant?: number;
  /** Where agents play together: how many other agents there are (imitating policies read peers only where this is set). */
  peers?: number;
  /** Where agents play together: whether the deviant option reached its threshold. */
  success?: boolean;
}
