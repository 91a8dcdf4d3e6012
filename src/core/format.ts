import { pyFixed } from "./pyformat.js";

/** Number formatting for default-mode prompts and tables: no float noise (0.2, not 0.19999999999999996). */
export function cleanNumber(x: number): string {
  return String(Number(x.toPrecision(12)));
}

/** A rate as a percentage with two decimals, rounded as the reference's tables round it. */
export function percent(x: number): string {
  return pyFixed(x * 100, 2);
}
