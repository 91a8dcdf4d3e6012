import { Command } from "commander";
import { policies } from "../agents/policy.js";
import { InputError } from "../core/errors.js";
import { defaultConfig, SUITES, type RunSuite } from "../run/config.js";
import { planAll } from "../run/execute.js";
import { BUILTIN_GAME_SCENARIOS } from "../testbeds/collusion/pack.js";
import { BUILTIN_ROLEPLAY_TEMPLATES } from "../testbeds/roleplay/pack.js";
import { DEFAULT_VARIANTS } from "../testbeds/roleplay/scenarios.js";
import { defaultCacheDir, PAPER_ALIASES, paperCacheDir, resolvePaperPath } from "../scenarios/fetch.js";
import { loadDataset } from "../scenarios/load.js";
import type { Dataset } from "../scenarios/types.js";
import type { Io } from "./io.js";

const TESTBEDS: Record<RunSuite, string> = {
  paper: "role-play and collusion with the paper's settings (--with-tooluse adds tool use)",
  roleplay: "one agent, a supervisor's rule against an option that pays more",
  collusion: "threshold games: agents choose to act alone or collude",
  tooluse: "problems to solve with or without a calculator that costs reward",
};

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
  out.push(...table(SUITES.map((s) => [s, `${planAll(defaultConfig(s), []).length} episodes`, TESTBEDS[s]])));

  const tooluse = defaultConfig("tooluse").tooluse;
  const environments = (names: string[]) => names.join(", ");
  out.push("", "Built-in packs (used without --dataset)");
  out.push(
    ...table([
      ["roleplay", `${BUILTIN_ROLEPLAY_TEMPLATES.length} scenarios x ${DEFAULT_VARIANTS} reward variants (--variants)`, environments(BUILTIN_ROLEPLAY_TEMPLATES.map((t) => t.environment))],
      ["games", `${BUILTIN_GAME_SCENARIOS.length} framings`, environments(BUILTIN_GAME_SCENARIOS.map((g) => g.environment))],
      ["tooluse", `${tooluse.easy} easy + ${tooluse.hard} hard problems per round`, "generated from each episode's seed"],
    ]),
  );

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
