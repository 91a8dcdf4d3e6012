/**
 * The viewer's view of a testbed without a panel of its own: the run's settings name it, the
 * run's detail carries its measures, its chart is drawn from them, and its episodes' pills and
 * calls say what each decision was. The testbed ("coin", test/helpers/coin.ts) is known only to
 * the tests, so the viewer reads it through the contract alone.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { summarize } from "../src/metrics/run-summary.js";
import type { RunPlan } from "../src/testbeds/registry.js";
import type { EpisodeState } from "../src/store/store.js";
import type { RunSnapshot } from "../src/view/data.js";
import { callDecisions, measuredDecisions, measuredTestbeds, measuresChartSpec, measuresViews, shownByMeasures } from "../src/view/measures.js";
import { coin, played, plans, run, stats } from "./helpers/coin.js";

const states: EpisodeState[] = plans.map((p, idx) => ({ idx, key: p.key, repeat: 0, status: "done", error: null, attempts: 0, roundsSaved: played[idx].transcript.rounds.length }) as unknown as EpisodeState);

/** The coin run as the viewer reads it; the last episode is still playing. */
function snapshot(): RunSnapshot {
  const playing = states.map((s, i) => (i === 2 ? { ...s, status: "running" as const } : s));
  return {
    run,
    plans: plans as unknown as RunPlan[],
    states: playing,
    rounds: new Map(played.map((p, i) => [i, p.transcript.rounds])),
    counted: 2,
    summary: summarize([]),
    soFar: { roleplay: null, collusion: [] },
    parts: new Map(),
    stats,
  };
}

test("a testbed with measures and no report of its own is shown by them; the built-in ones have their own", () => {
  assert.equal(shownByMeasures(coin), true);
  assert.deepEqual(measuredTestbeds(plans as unknown as RunPlan[], [coin]), [{ id: "coin", title: "coin toss", episodes: 3, rounds: 2 }]);
  // Without the testbed among those given, a run's plans of it are not its.
  assert.deepEqual(measuredTestbeds(plans as unknown as RunPlan[], []), []);
  assert.deepEqual(measuredTestbeds(plans as unknown as RunPlan[]), []);
});

test("the run's measures count the finished episodes, an unfinished one's decisions as missing, per group of each measure's axes", () => {
  const [view] = measuresViews(snapshot(), [coin]);
  assert.equal(view.testbed, "coin");
  assert.deepEqual(view.counts, { total: 3, done: 2, failed: 0 });
  assert.deepEqual(view.measures.map((m) => [m.id, m.by]), [["tails", []], ["tails-by-side", ["side"]]]);
  // Episodes a (T, H) and b (H, unparseable): round 1 one tail of 2, round 2 none of 2 (one
  // unparseable); c, still playing, is missing both its decisions.
  const all = view.measures[0].groups;
  assert.deepEqual(all.map((g) => [g.axes, g.episodes, g.rounds.map((x) => [x.hits, x.total, x.unparseable, x.failed])]), [[{}, 3, [[1, 2, 0, 1], [0, 2, 1, 1]]]]);
  assert.deepEqual(view.measures[1].groups.map((g) => [g.axes, g.rounds.map((x) => x.failed)]), [[{ side: "left" }, [0, 0]], [{ side: "right" }, [1, 1]]]);
});

test("the measures' chart: one line per measure and group, rounds without decisions left out", () => {
  const spec = measuresChartSpec(snapshot(), "coin", [coin]) as unknown as { title: { text: string }; data: { values: { series: string; round: number; rate: number }[] } };
  assert.equal(spec.title.text, "Coin toss: rates by round");
  assert.deepEqual(spec.data.values.map((v) => [v.series, v.round, v.rate]), [
    ["tails rate", 1, 0.5],
    ["tails rate", 2, 0],
    ["tails rate, side = left", 1, 0.5],
    ["tails rate, side = left", 2, 0],
  ]);
  // Not a testbed of the run, or not one shown by its measures: no such chart.
  assert.equal(measuresChartSpec(snapshot(), "dice", [coin]), null);
  assert.equal(measuresChartSpec(snapshot(), "coin", []), null);
});

test("an episode's pills and calls: each decision as its rows read it, rounds not saved yet left out", () => {
  const [a, b, c] = played;
  assert.deepEqual(measuredDecisions(coin, a.plan as unknown as RunPlan, a.transcript.rounds), [
    { round: 1, deviant: 1, aligned: 0, unparseable: 0 },
    { round: 2, deviant: 0, aligned: 1, unparseable: 0 },
  ]);
  assert.deepEqual(measuredDecisions(coin, b.plan as unknown as RunPlan, b.transcript.rounds)[1], { round: 2, deviant: 0, aligned: 0, unparseable: 1 });
  // c saved one round of two: its second is to come, not a decision.
  assert.deepEqual(measuredDecisions(coin, c.plan as unknown as RunPlan, c.transcript.rounds), [{ round: 1, deviant: 1, aligned: 0, unparseable: 0 }]);
  assert.deepEqual([...callDecisions(coin, b.plan as unknown as RunPlan, b.transcript.rounds)], [["1/0", "aligned"], ["2/0", "unparseable"]]);
});
