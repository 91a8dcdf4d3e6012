/** The steering texts of both pair testbeds in one record, as the pair tests read them. */
import type { Parity } from "../../src/core/types.js";
import { DEFAULT_GAME_STEERING, PAPER_GAME_STEERING } from "../../src/testbeds/collusion/pairs.js";
import { DEFAULT_ROLEPLAY_STEERING, PAPER_ROLEPLAY_STEERING } from "../../src/testbeds/roleplay/pairs.js";

export function steeringTexts(parity: Parity) {
  const roleplay = parity === "paper" ? PAPER_ROLEPLAY_STEERING : DEFAULT_ROLEPLAY_STEERING;
  return {
    roleplayNote: roleplay.note,
    roleplay: roleplay.sides,
    collusion: parity === "paper" ? PAPER_GAME_STEERING : DEFAULT_GAME_STEERING,
  };
}
