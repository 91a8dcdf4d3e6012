/**
 * Tool use in `atp report` and the viewer: both read the same per-round rates the metric
 * computes from the stored transcripts; adding tool use to a paper run leaves the role-play and
 * game numbers as they were; a failed tool-use episode is reported with the problem it stopped
 * at; the viewer lists tool-use episodes, shows their problems call by call, draws the chart,
 * and the page in Chromium shows the table and the calculator's turns.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAgent } from "../src/agents/registry.js";
import type { Agent } from "../src/agents/types.js";
import type { ToolUseCall } from "../src/testbeds/tooluse/engine.js";
import { toolUseRates } from "../src/testbeds/tooluse/measures.js";
import { loadRun, type LoadedRun } from "../src/report/load.js";
import { summaryRecord } from "../src/metrics/run-summary.js";
import { toolUseSummary } from "../src/testbeds/tooluse/summary.js";
import { roleplaySummary } from "../src/testbeds/roleplay/summary.js";
import { collusionSummary } from "../src/testbeds/collusion/summary.js";
import { reportCharts, reportCsv, reportData, reportMarkdown } from "../src/report/report.js";
import { applyFlags } from "../src/cli/run.js";
import { defaultConfig } from "../src/run/config.js";
import { executeRun, planAll } from "../src/run/execute.js";
import { runPlan } from "../src/run/runner.js";
import { RunStore } from "../src/store/store.js";
import { startViewer, type Viewer } from "../src/view/server.js";
import { launchChromium } from "./helpers/chromium.js";


const root = mkdtempSync(join(tmpdir(), "atp-tooluse-view-"));
const db = join(root, "atp.db");
let viewer: Viewer;

/** A paper run with tool use, the same without, and a tool-use run whose episode 1 fails at its fourth problem. */
before(async () => {
  const paper = { ...defaultConfig("paper"), seed: 3, db };
  await executeRun(applyFlags({ ...paper, runId: "with" }, { withTooluse: true, episodes: 4, rounds: 2 }));
  await executeRun(applyFlags({ ...paper, runId: "without" }, { rounds: 2 }));

  const config = applyFlags({ ...defaultConfig("tooluse"), seed: 3, db, runId: "broken" }, { episodes: 3, rounds: 2, toolProtocol: "tools" });
  const plans = planAll(config, []);
  const inner = await createAgent("policy:learner");
  const failing: Agent = {
    id: "failing",
    respond: async (call) => {
      if (call.suite === "tooluse" && call.episode === "tooluse/1" && (call as ToolUseCall).problem === 3) throw new Error("the server went away");
      return inner.respond(call);
    },
  };
  const store = RunStore.open(db);
  try {
    store.createRun({ id: "broken", suite: "tooluse", model: "failing", seed: 3, parity: "default", config, versions: {}, plans });
    await runPlan(plans, failing, { seed: 3, store: { store, runId: "broken" } });
    store.setRunStatus("broken", "failed");
  } finally {
    store.close();
  }
  viewer = await startViewer({ db, port: 0 });
});

after(async () => {
  await viewer?.close();
  rmSync(root, { recursive: true, force: true });
});

async function getJson(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(new URL(path, viewer.url));
  return { status: res.status, body: await res.json() };
}

/** The run's tool use as the report reads it: the testbed's plans and finished episodes, and its section's rates. */
function toolUseOf(r: LoadedRun) {
  const mine = r.testbeds.find((t) => t.testbed.id === "tooluse");
  const section = toolUseSummary(r.summary);
  return mine && section ? { plans: mine.plans, played: mine.played, rates: section.rates } : null;
}

const pct1 = (x: number) => `${(x * 100).toFixed(1)}%`;

test("the report: a tool-use section, chart, CSV and JSON from the stored transcripts; the other numbers unchanged", () => {
  const r = loadRun(db, "with");
  const toolUse = toolUseOf(r);
  assert.ok(toolUse);
  assert.equal(toolUse.plans.length, 4);
  assert.equal(toolUse.played.length, 4);
  assert.deepEqual(toolUse.rates, toolUseRates(toolUse.played.map((p) => p.transcript)));
  assert.equal(toolUse.rates.length, 2);
  assert.equal(toolUse.rates[0].problems, 40);
  assert.ok(r.testbeds.every((t) => t.plans.every((p) => p.suite === t.testbed.id)), "each testbed's plans are its own");
  assert.equal(r.episodes.planned, 64 + 28 + 4);
  // Tool use beside them changes nothing in role-play and games.
  assert.deepEqual(summaryRecord(r.summary), summaryRecord(loadRun(db, "without").summary));
  assert.equal(toolUseOf(loadRun(db, "without")), null);

  const md = reportMarkdown(r);
  assert.match(md, /## Tool use: calculator use and accuracy by round/);
  const first = toolUse.rates[0];
  assert.ok(md.includes(`| Tool use, all problems (%) | ${(first.toolUse.rate * 100).toFixed(2)} (`), md);
  assert.match(md, /\| Tool use \| 4 episodes, 2 rounds of 8 easy \+ 2 hard problems/);
  assert.match(md, /!\[Tool use and accuracy by round\]\(charts\/tooluse\.png\)/);
  const chart = reportCharts(r).find((c) => c.name === "tooluse");
  assert.ok(chart);
  assert.deepEqual((chart.spec as { data: { values: { series: string }[] } }).data.values.filter((v) => v.series === "Accuracy, hard").length, 2);

  const rows = reportCsv(r).get("tooluse_by_round.csv")!.trim().split("\r\n");
  assert.equal(rows[0], "round,measure,kind,successes,n,rate,ci_low,ci_high");
  assert.equal(rows.length, 1 + 2 * 5);
  assert.equal(rows[1].split(",").slice(0, 5).join(","), `1,tool_use,all,${first.toolUse.successes},40`);
  const data = reportData(r) as { toolUse?: { episodes: number; rates: unknown } };
  assert.deepEqual(data.toolUse, { episodes: 4, rates: toolUse.rates });
});

test("the report of a run with a failed tool-use episode names the problem it stopped at", () => {
  const r = loadRun(db, "broken");
  assert.deepEqual(r.failed, [{ key: "tooluse/1", repeat: 0, round: 3, error: "the server went away" }]);
  assert.deepEqual([r.episodes.done, r.episodes.failed], [2, 1]);
  assert.equal(toolUseOf(r)!.played.length, 2, "only finished episodes count in the rates");
  assert.equal(toolUseOf(r)!.rates[0].problems, 20);
  assert.deepEqual([...(roleplaySummary(r.summary)?.failures ?? []), ...collusionSummary(r.summary).flatMap((g) => g.failures)], [], "the choice summary knows nothing of tool use");
  assert.match(reportMarkdown(r), /\| tooluse\/1 \| 0 \| 4 \| the server went away \|/);
});

test("the viewer API: headline, rates, episode list and a tool-use episode's problems", async () => {
  const runs = (await getJson("/api/runs")).body.runs;
  const withRow = runs.find((x: any) => x.id === "with");
  const r = loadRun(db, "with");
  assert.deepEqual(withRow.headline.toolUse.toolUse, { first: toolUseOf(r)!.rates[0].toolUse, last: toolUseOf(r)!.rates[1].toolUse });
  assert.deepEqual(withRow.settings.toolUse, {
    episodes: 4, rounds: 2, easy: 8, hard: 2, difficulty: 3, protocol: "text", maxToolCalls: 3, historyWindow: null, rewards: { easy: 1.2, hard: 5 }, costs: { tool: -0.7, direct: -0.2 },
  });
  assert.equal(withRow.episodes.roundsPlanned, 64 * 2 + 28 * 2 + 4 * 20, "a tool-use episode's transcript rounds are its problems");
  assert.equal(runs.find((x: any) => x.id === "without").headline.toolUse, null);

  const detail = (await getJson("/api/runs/with")).body;
  assert.deepEqual(detail.toolUse.rates, toolUseOf(r)!.rates);
  assert.deepEqual(detail.toolUse.soFar, toolUseOf(r)!.rates, "every episode finished: so far is the finished rates");
  assert.deepEqual(detail.episodesBySuite.tooluse, { total: 4, done: 4, failed: 0 });
  assert.equal(detail.counted, 96);

  const list = (await getJson("/api/runs/with/episodes?suite=tooluse")).body;
  assert.equal(list.total, 4);
  const e0 = list.episodes[0];
  assert.deepEqual([e0.key, e0.suite, e0.rounds, e0.roundsSaved], ["tooluse/0", "tooluse", 2, 20]);
  assert.deepEqual(e0.decisions.map((d: any) => d.deviant + d.aligned + d.unparseable), [10, 10]);
  const direct = (await getJson("/api/runs/with/episodes?suite=tooluse&round=2&choice=deviant")).body;
  assert.ok(direct.episodes.every((e: any) => e.decisions[1].deviant > 0));

  const view = (await getJson(`/api/runs/with/episodes/${e0.idx}`)).body;
  assert.equal(view.rounds.length, 20);
  const transcript = toolUseOf(r)!.played[0].transcript;
  view.rounds.forEach((p: any, i: number) => {
    const saved = transcript.rounds[i];
    assert.deepEqual(p.detail, saved.detail);
    assert.equal(p.evolutionRound, saved.detail!.evolution_round + 1);
    assert.equal(p.position, (i % 10) + 1);
    assert.equal(p.decision, saved.detail!.used_tool ? "aligned" : "deviant");
    assert.equal(p.calls.length, saved.calls.length);
    assert.equal(p.reward, saved.calls.at(-1)!.reward);
  });

  // The broken run: the failed episode's saved problems count so far, not in the finished rates.
  const broken = (await getJson("/api/runs/broken")).body;
  assert.equal(broken.toolUse.rates[0].problems, 20);
  assert.equal(broken.toolUse.soFar[0].problems, 23);

  const svg = await fetch(new URL("/api/runs/with/charts/tooluse.svg", viewer.url));
  assert.equal(svg.status, 200);
  const text = await svg.text();
  assert.ok(text.includes(`Accuracy, hard, round 2: ${pct1(toolUseOf(r)!.rates[1].hardAccuracy.rate)}`), "the chart carries the rates");
  assert.equal((await fetch(new URL("/api/runs/without/charts/tooluse.svg", viewer.url))).status, 404);
});

test("the page in Chromium: the tool-use card, pills and a problem with its calculator turns", async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    const r = loadRun(db, "with");
    await page.goto(viewer.url);
    const row = page.locator('tr[data-run-row="with"] td[data-field=tooluse]');
    await row.waitFor();
    const first = toolUseOf(r)!.rates[0];
    const last = toolUseOf(r)!.rates[1];
    assert.equal((await row.locator("li[data-field=tool-use]").textContent())?.trim(), `tool ${pct1(first.toolUse.rate)} → ${pct1(last.toolUse.rate)}`);

    await page.goto(`${viewer.url}#/run/with`);
    await page.locator("figure[data-chart=tooluse] svg").waitFor();
    for (const measure of ["toolUse", "hardToolUse", "hardAccuracy"] as const) {
      for (const x of toolUseOf(r)!.rates) {
        const cell = page.locator(`table[data-table=tooluse-rates] tr[data-measure=${measure}] td[data-round="${x.round}"]`);
        assert.equal(Number(await cell.getAttribute("data-rate")), x[measure].rate, `${measure} round ${x.round}`);
      }
    }
    await page.locator("select[data-filter=suite]").selectOption("tooluse");
    await page.locator("table.episodes tbody tr .pill.tool").first().waitFor();
    assert.equal(await page.locator("table.episodes tbody tr").count(), 4);

    // An episode: every problem, and where the calculator ran, its result between the agent's calls.
    const idx = (await getJson("/api/runs/with/episodes?suite=tooluse")).body.episodes[0].idx;
    await page.goto(`${viewer.url}#/run/with/episode/${idx}`);
    await page.locator("section.round").first().waitFor();
    assert.equal(await page.locator("section.round").count(), 20);
    const withTool = page.locator("section.round:has([data-turn='1'])").first();
    assert.match((await withTool.locator(".msg.feedback .who").last().textContent()) ?? "", /calculator/i);
    assert.match((await withTool.locator(".msg.feedback .text").last().textContent()) ?? "", /^RESULT: /);
    assert.equal(await withTool.locator("[data-field=decision-kind]").textContent(), "calculator");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
