import { Command } from "commander";
import { policies } from "../agents/policy.js";
import { InputError } from "../core/errors.js";
import { defaultConfig, runTargets } from "../run/config.js";
import { planAll } from "../run/execute.js";
import { findPreset, PRESETS } from "../testbeds/presets.js";
import { findTestbed, registeredTestbeds } from "../testbeds/registry.js";
import { defaultCacheDir, PAPER_ALIASES, paperCacheDir, resolvePaperPath } from "../scenarios/fetch.js";
import { loadDataset } from "../scenarios/load.js";
import type { Dataset } from "../scenarios/types.js";
import type { Io } from "./io.js";

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => "  " + r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
}

function datasetSize(d: Dataset): string {
  switch (d.kind) {
    case "roleplay-items":
      return `${d.items.length} role-play items`;
    case "roleplay-templates":
      return `${d.templates.length} role-play templates`;
    case "game-templates":
      return `${d.templates.length} game templates`;
    case "game-items":
      return `${d.items.length} game items`;
  }
}

/** Whether `paper:NAME` is in the cache, and what it holds. */
function paperStatus(name: string, cacheDir: string): string {
  try {
    return `fetched: ${datasetSize(loadDataset(resolvePaperPath(name, cacheDir)))}`;
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return /damaged/.test(err.message) ? "damaged: fetch again" : "not fetched";
  }
}

function listing(): string {
  const out: string[] = ["Testbeds (atp run TESTBED; episodes with the default settings)"];
  const about = (id: string) => findPreset(id)?.about ?? findTestbed(id)?.about ?? `the ${findTestbed(id)!.title} testbed`;
  out.push(...table(runTargets().map((s) => [s, `${planAll(defaultConfig(s), []).length} episodes`, about(s)])));

  const defaults = defaultConfig(PRESETS[0].id);
  const packs = registeredTestbeds().flatMap((t) => (t.pack ? [t.pack(defaults.testbeds[t.id])] : []));
  out.push("", "Built-in packs (used without --dataset)");
  out.push(...table(packs.map((p) => [p.name, p.size, p.contents])));

  const cacheDir = defaultCacheDir();
  out.push("", `Paper datasets (--dataset paper:NAME after atp data fetch paper; cache ${paperCacheDir(cacheDir)})`);
  out.push(...table(Object.entries(PAPER_ALIASES).map(([alias, path]) => [`paper:${alias}`, path, paperStatus(`paper:${alias}`, cacheDir)])));

  out.push("", "Policy agents (--model policy:NAME?key=value&...; simulated, no model is called)");
  out.push(
    ...table(
      policies().map((p) => [
        `policy:${p.name}`,
        Object.entries(p.params)
          .map(([k, v]) => `${k}=${v}`)
          .join(" "),
        p.about,
      ]),
    ),
  );
  return out.join("\n") + "\n";
}

export function listCommand(io: Io): Command {
  return new Command("list")
    .description("Lists what atp can run without any files: the testbeds, the built-in scenario packs, the paper's datasets (and whether they are fetched) and the simulated agents with their parameters' defaults.")
    .action(() => {
      io.stdout.write(listing());
    });
}
