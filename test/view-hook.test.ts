/**
 * A testbed known only to this test, with a view of its own: the viewer's server puts its fields
 * in the run's settings, headline, rates so far, detail, episode rows and charts, in the
 * registry's order, without knowing anything of it; it is not shown by its measures.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { summarize } from "../src/metrics/run-summary.js";
import type { EpisodeState } from "../src/store/store.js";
import type { Testbed } from "../src/testbed/contract.js";
import { registerTestbed, type RunPlan } from "../src/testbeds/registry.js";
import type { TranscriptRound } from "../src/transcript/types.js";
import { chartSpec, episodeList, runDetail, runOverview, type RunSnapshot } from "../src/view/data.js";
import type { TestbedView } from "../src/view/sections.js";
import { coin, played, plans as coinPlans, run, stats, type CoinPlan } from "./helpers/coin.js";

const ID = "coin-view";

const view: TestbedView<CoinPlan> = {
  settings: (mine) => ({ coins: mine.length ? { episodes: mine.length, sides: [...new Set(mine.map((p) => p.settings.side))] } : null }),
  headline: (_s, unfinished) => ({ coinScope: unfinished ? "some tosses to come" : "all tossed" }),
  soFar: (s) => ({ coins: s.rounds.size }),
  detail: () => ({ coinDetail: true }),
  decisions: (_plan, rounds) => rounds.map((r, i) => ({ round: i + 1, deviant: r.calls.filter((c) => c.choice === "T").length, aligned: r.calls.filter((c) => c.choice === "H").length, unparseable: 0 })),
  row: (plan) => ({ side: plan.settings.side }),
  episode: ({ rounds }) => ({ agents: 1, rounds: rounds.map((_round, i) => ({ round: i + 1, calls: [] })) }),
  charts: { main: { coins: (_s, q) => (q.params([]), q.specs.measuresChart("Coins", [])) } },
  listsScenarios: true,
};

registerTestbed({ ...coin, id: ID, view } as unknown as Testbed<RunPlan>);

const plans = coinPlans.map((p) => ({ ...p, suite: ID })) as unknown as RunPlan[];
const states = plans.map((p, idx) => ({ idx, key: p.key, repeat: 0, status: idx === 2 ? "running" : "done", error: null, attempts: 0, roundsSaved: played[idx].transcript.rounds.length }) as unknown as EpisodeState);
const rounds = new Map<number, TranscriptRound[]>(played.map((p, i) => [i, p.transcript.rounds]));
const snapshot: RunSnapshot = { run, plans, states, rounds, counted: 2, summary: summarize([]), soFar: {}, parts: new Map(), stats };
snapshot.soFar = { roleplay: null, collusion: [], coins: rounds.size };

test("a testbed's view gives its fields of the run's settings, headline and detail, after the built-in ones'", () => {
  const overview = runOverview(snapshot);
  assert.deepEqual(Object.keys(overview.settings), ["roleplay", "collusion", "toolUse", "coins", "repeats", "otherEpisodes"]);
  assert.deepEqual(overview.settings.coins, { episodes: 3, sides: ["left", "right"] });
  assert.equal(overview.settings.measured, undefined, "a testbed with a view is not shown by its measures");
  assert.deepEqual(Object.keys(overview.headline), ["scope", "violation", "collusion", "toolUse", "coinScope"]);
  assert.equal(overview.headline.coinScope, "some tosses to come");
  const detail = runDetail(snapshot, 1);
  // Counted where the run plays it; the others only when their view asks to be.
  assert.deepEqual(Object.keys(detail.episodesBySuite), ["roleplay", "collusion", ID]);
  assert.deepEqual(detail.episodesBySuite[ID], { total: 3, done: 2, failed: 0 });
  assert.equal(detail.coinDetail, true);
  assert.deepEqual(detail.scenarios, ["table"]);
});

test("its episode rows and charts are its view's", () => {
  const list = episodeList(snapshot, { suite: ID });
  assert.equal(list.total, 3);
  assert.deepEqual(list.episodes[0].decisions, [{ round: 1, deviant: 1, aligned: 0, unparseable: 0 }, { round: 2, deviant: 0, aligned: 1, unparseable: 0 }]);
  assert.equal((list.episodes[2] as unknown as { side: string }).side, "right");
  assert.equal((chartSpec(snapshot, "coins", new URLSearchParams()) as { title?: unknown }).title !== undefined, true);
  assert.throws(() => chartSpec(snapshot, "dice", new URLSearchParams()), /no chart 'dice' \(charts: violation, collusion, conditional, coins, tipping, trace, tooluse\)/);
});
