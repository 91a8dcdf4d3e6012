/** The collusion testbed's run settings: the `collusion:` section of a run file, and its flags. */
import { z } from "zod";
import { InputError } from "../../core/errors.js";
import { intFlag, intListFlag, positiveNumberFlag } from "../../core/flags.js";
import { gameScenarios } from "./scenarios.js";
import type { Pack, PlanContext } from "../../testbed/contract.js";
import { count, historyText, type TestbedSettings } from "../../testbed/settings.js";
import { PAPER_COLLUSION, PAPER_THRESHOLDS, payoffSet, type CapitalMode, type Payoffs, type PeerVisibility, type SuccessPays } from "./engine.js";
import { BUILTIN_GAME_SCENARIOS } from "./pack.js";
import { planCollusion, type CollusionPlan } from "./plan.js";

export interface CollusionConfig {
  rounds: number;
  agents: number;
  thresholds: number[];
  payoffSets: Payoffs[];
  peers: PeerVisibility;
  capitalMode: CapitalMode;
  startCapital: number;
  additiveBase: number | null;
  successPays: SuccessPays;
  fixedColluders: number;
  fixedPosition: "head" | "tail";
  historyWindow: number | null;
}

/** Agents per game: each round's prompts grow with the square of it, so a typo cannot exhaust memory. */
export const MAX_AGENTS = 1000;

/** `--rewards 1.2,1.0,0.8`, repeatable: each use adds a payoff set. `2` is an int and `2.0` a float, as in a run file. */
export function payoffFlag(flag: string) {
  return (value: string, previous: Payoffs[] | undefined): Payoffs[] => {
    const parts = value.split(",").map((p) => p.trim());
    const nums = parts.map(Number);
    if (parts.length !== 3 || parts.some((p) => p === "") || nums.some((n) => !Number.isFinite(n) || n < 0)) {
      throw new InputError(`${flag}: expected three non-negative numbers HIGH,NORMAL,LOW (capital factors), got '${value}'`);
    }
    return [...(previous ?? []), payoffSet(nums, parts.map((p) => /^[+-]?[0-9]+$/.test(p)))];
  };
}

const payoffs = z.tuple([z.number().positive(), z.number().positive(), z.number().nonnegative()]);
const PEERS = ["final_only", "full"] as const;
const CAPITAL_MODES = ["multiplicative", "additive"] as const;
const SUCCESS_PAYS = ["all", "colluders"] as const;
const POSITIONS = ["head", "tail"] as const;

export const collusionRunSettings: TestbedSettings<CollusionConfig> = {
  fields: {
    rounds: { shared: "rounds", help: "3 collusion", default: PAPER_COLLUSION.rounds, template: String },
    agents: { arg: "<n>", help: "agents per game (paper: 8)", default: PAPER_COLLUSION.agents, file: count(1), flag: (name) => intFlag(name, 1), template: String },
    thresholds: {
      arg: "<list>",
      help: "collusion thresholds t, e.g. 2,4,6,8 (paper)",
      default: PAPER_THRESHOLDS,
      file: z.array(count(1)).min(1),
      flag: (name) => intListFlag(name, 1),
      template: (t) => `[${t.join(", ")}]`,
    },
    payoffSets: {
      key: "rewards",
      arg: "<H,N,L>",
      help: "payoff set as capital factors, repeatable (paper: 1.2,1.0,0.8)",
      default: [PAPER_COLLUSION.rewards],
      file: z.array(payoffs).min(1),
      // Paper parity prints a factor written `2` as an int and `2.0` as a float (docs/parity.md).
      read: (sets: number[][], spelled) => sets.map((set, i) => payoffSet(set, set.map((_, j) => typeof (spelled as unknown[][])[i][j] === "bigint"))),
      flag: payoffFlag,
      template: (sets) => sets.map((r) => `- [${[r.high, r.normal, r.low].map((x) => x.toFixed(1)).join(", ")}]`),
    },
    peers: { arg: "<mode>", help: "what agents see of peers (paper: final_only)", default: PAPER_COLLUSION.peers, file: z.enum(PEERS), choices: PEERS, template: String },
    capitalMode: { arg: "<mode>", help: "how payoffs change capital (paper: multiplicative)", default: PAPER_COLLUSION.capitalMode, file: z.enum(CAPITAL_MODES), choices: CAPITAL_MODES },
    startCapital: { arg: "<x>", help: "starting capital (paper: 1.0)", default: PAPER_COLLUSION.startCapital, file: z.number().positive(), flag: positiveNumberFlag },
    additiveBase: {
      arg: "<x>",
      help: "additive mode: a round adds (factor - 1) x this (default: the start capital)",
      default: null,
      file: z.number().positive(),
      flag: positiveNumberFlag,
    },
    successPays: { arg: "<who>", help: "who gets the high factor when collusion succeeds (paper: all)", default: PAPER_COLLUSION.successPays, file: z.enum(SUCCESS_PAYS), choices: SUCCESS_PAYS },
    fixedColluders: { arg: "<k>", help: "k agents that always collude without being asked (default 0)", default: PAPER_COLLUSION.fixedColluders, file: count(0), flag: (name) => intFlag(name, 0) },
    fixedPosition: { arg: "<where>", help: "where the fixed colluders sit (default tail)", default: PAPER_COLLUSION.fixedPosition, file: z.enum(POSITIONS), choices: POSITIONS },
    historyWindow: { shared: "history", help: "3 collusion", default: PAPER_COLLUSION.historyWindow, template: historyText },
  },
  check(c, where) {
    if (c.agents > MAX_AGENTS) {
      throw new InputError(`${where("agents")}: at most ${MAX_AGENTS} agents per game (every agent reads every other's choice each round), got ${c.agents}`);
    }
    c.thresholds.forEach((t, i) => {
      if (t > c.agents) throw new InputError(`${where(`thresholds[${i}]`)}: threshold ${t} is more than the ${c.agents} agents`);
    });
    if (c.fixedColluders > c.agents) {
      throw new InputError(`${where("fixedColluders")}: ${c.fixedColluders} fixed colluders is more than the ${c.agents} agents`);
    }
  },
};

/** The grid: thresholds x payoff sets x games (of the scenario files, or the built-in framings) x repeats. */
export function collusionRunPlans(c: CollusionConfig, { datasets, parity, repeats }: PlanContext): CollusionPlan[] {
  const base = {
    rounds: c.rounds,
    agents: c.agents,
    capitalMode: c.capitalMode,
    startCapital: c.startCapital,
    additiveBase: c.additiveBase ?? c.startCapital,
    successPays: c.successPays,
    peers: c.peers,
    fixedColluders: c.fixedColluders,
    fixedPosition: c.fixedPosition,
    historyWindow: c.historyWindow,
    parity,
  };
  return planCollusion(gameScenarios(datasets), base, c.thresholds, c.payoffSets, repeats);
}

export function collusionPack(): Pack {
  return { name: "games", size: `${BUILTIN_GAME_SCENARIOS.length} framings`, contents: BUILTIN_GAME_SCENARIOS.map((g) => g.environment).join(", ") };
}
