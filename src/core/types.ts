/** One chat message, as sent to a model. */
export interface Message {
  role: "system" | "user" | "assistant";
  content: string;
}

/**
 * `paper` reproduces the reference implementation byte for byte (prompts, parser, number
 * formatting, quirks); `default` uses clean prompts and a robust parser (docs/parity.md).
 */
export type Parity = "paper" | "default";
export const PARITIES: readonly Parity[] = ["paper", "default"];

export type Suite = "roleplay" | "collusion";
