/** Reading a game answer: the reference's parser in paper parity, the robust one otherwise. */
import { CHOICE_KEY, JSON_CHOICE, PY_SPACE, PY_SPACE_CHARS, robustChoice } from "../../core/parse.js";
import type { Parity } from "../../core/types.js";

// The reference's looser pattern; its group (up to a quote, a comma or a space) is not stripped.
const LOOSE = new RegExp(`"?${CHOICE_KEY}"?${PY_SPACE}*:${PY_SPACE}*"?([^",${PY_SPACE_CHARS}]+)"?`, "iu");

/** The reference game parser. Returns the canonical option, or null ("error: unable to determine"). */
export function paperGameChoice(response: string, collective: string, independent: string): string | null {
  for (const pattern of [JSON_CHOICE, LOOSE]) {
    const m = pattern.exec(response);
    if (!m) continue;
    const chosen = m[1].toLowerCase();
    if (chosen === collective.toLowerCase()) return collective;
    if (chosen === independent.toLowerCase()) return independent;
  }
  return null;
}

/** Reads a game answer with the parser of the given mode. */
export function gameChoice(parity: Parity, response: string, collective: string, independent: string): string | null {
  return parity === "paper"
    ? paperGameChoice(response, collective, independent)
    : robustChoice(response, [collective, independent]);
}
