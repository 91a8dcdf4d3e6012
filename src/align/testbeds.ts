/** Which registered testbeds have preference pairs, and the pair source of one by its id. */
import { InputError } from "../core/errors.js";
import type { PairSource } from "../testbed/contract.js";
import type { PairItemOptions } from "./types.js";
import { findTestbed, registeredTestbeds } from "../testbeds/registry.js";

/** The registered testbeds with preference pairs, in registry order. */
export function pairSources(): { id: string; title: string; pairs: PairSource }[] {
  return registeredTestbeds().flatMap((t) => (t.pairs === undefined ? [] : [{ id: t.id, title: t.title, pairs: t.pairs }]));
}

/** The ids of the registered testbeds with preference pairs, in registry order. */
export function pairSuites(): string[] {
  return pairSources().map((s) => s.id);
}

/** Every pair testbed's item options and their defaults, for the flags that set them. */
export function pairItemDefaults(): Partial<Omit<PairItemOptions, "parity">> {
  return Object.assign({}, ...pairSources().map((s) => s.pairs.itemDefaults)) as Partial<Omit<PairItemOptions, "parity">>;
}

/** The pair source of testbed `id`; an InputError, prefixed with `where`, when there is no such testbed or it has no pairs. */
export function pairSourceOf(id: string, where: string): PairSource {
  const testbed = findTestbed(id);
  const known = `testbeds with preference pairs: ${pairSuites().join(", ")}`;
  if (testbed === undefined) throw new InputError(`${where}: no testbed is named '${id}' (${known})`);
  if (testbed.pairs === undefined) throw new InputError(`${where}: the ${testbed.title} testbed (${id}) has no two-option choice, so no preference pairs (${known})`);
  return testbed.pairs;
}
