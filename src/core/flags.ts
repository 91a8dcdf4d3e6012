/** Parsers for flag values: each bad value is an InputError naming the flag and the reason. */
import { InputError } from "./errors.js";

export function intFlag(flag: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InputError(`${flag}: expected an integer >= ${min}, got '${value}'`);
    }
    return n;
  };
}

/** `--history 5` or `--history all` ("all", not null: commander turns a null value into ""). */
export function historyFlag(flag: string) {
  const int = intFlag(flag, 0);
  return (value: string): number | "all" => (value === "all" ? "all" : int(value));
}

export function intListFlag(flag: string, min: number) {
  return (value: string): number[] => {
    const parts = value.split(",").map((p) => p.trim());
    if (parts.some((p) => p === "")) throw new InputError(`${flag}: expected a comma-separated list of integers, got '${value}'`);
    return parts.map((p) => intFlag(flag, min)(p));
  };
}

export function positiveNumberFlag(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n <= 0) throw new InputError(`${flag}: expected a positive number, got '${value}'`);
    return n;
  };
}

/** Any finite number, negative ones too (`--tool-cost -0.7`). */
export function numberFlag(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n)) throw new InputError(`${flag}: expected a number, got '${value}'`);
    return n;
  };
}

export function nonNegativeNumberFlag(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < 0) throw new InputError(`${flag}: expected a number >= 0, got '${value}'`);
    return n;
  };
}
