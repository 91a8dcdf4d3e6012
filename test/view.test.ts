/**
 * The local viewer: its JSON API over real HTTP (numbers equal summarize() on the same store
 * data, transcripts, filters, errors, headers), a run written by another process while the
 * viewer reads, the `atp view` command, and the page itself in Chromium, including answers
 * crafted to run script if they were ever treated as markup.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";

import type { Agent, AgentCall } from "../src/agents/types.js";
import { episodeId, type FailedCall, type PlayedEpisode } from "../src/metrics/rates.js";
import { summarize, summaryRecord, type RunSummary } from "../src/metrics/run-summary.js";
import { collusionSummary } from "../src/testbeds/collusion/summary.js";
import { roleplaySummary } from "../src/testbeds/roleplay/summary.js";
import { defaultConfig } from "../src/run/config.js";
import { executeRun, planAll } from "../src/run/execute.js";
import type { CollusionPlan } from "../src/testbeds/collusion/plan.js";
import type { EpisodePlan } from "../src/testbeds/registry.js";
import type { RoleplayPlan } from "../src/testbeds/roleplay/plan.js";
import { runPlan } from "../src/run/runner.js";
import { RunStore } from "../src/store/store.js";
import type { TranscriptRound } from "../src/transcript/types.js";
import { startViewer, type Viewer } from "../src/view/server.js";
import { choosingAnswer, startFakeOpenAI } from "./helpers/fake-openai.js";
import { repoRoot } from "./helpers/paper.js";
import { launchChromium } from "./helpers/chromium.js";

const CLI = join(repoRoot, "dist", "src", "cli", "main.js");
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'";

/** Text that runs script wherever model output is wrongly treated as markup. */
const HOSTILE_SCRIPT = "<script>window.__pwned=1</script>";
const HOSTILE_IMG = '<img src=x onerror="window.__pwned=1">';
const HOSTILE_NAME = `Fund ${HOSTILE_IMG}`;

const root = mkdtempSync(join(tmpdir(), "atp-view-"));
const db = join(root, "atp.db");
let viewer: Viewer;

// ---------------------------------------------------------------- fixtures

/**
 * Answers with a reasoning block and hostile markup around a valid choice. Role-play deviates
 * from round 3 in even episodes; game agents collude on a fixed pattern; roleplay/3 fails in
 * round 2, as a model server that went away would.
 */
const hostileAgent: Agent = {
  id: "test:hostile",
  async respond(call: AgentCall) {
    if (call.options === undefined) throw new Error("the hostile agent answers choice testbeds only");
    if (call.episode === "roleplay/3" && call.round === 2) throw new Error("server gone");
    const index = Number(call.episode.split("/").pop());
    const deviate = call.suite === "roleplay" ? index % 2 === 0 && call.round >= 3 : (call.agent + call.round) % 3 === 0;
    const choice = deviate ? call.options.deviant : call.options.aligned;
    const text = `<think>Should I ${HOSTILE_SCRIPT} take the other option? It pays more.</think>\nI weighed it ${HOSTILE_IMG} carefully.\n{"choice": "${choice}"}`;
    return { text, attempts: 1 };
  },
};

function hostilePlans(): EpisodePlan[] {
  // The paper suite plans role-play and games only.
  const all = planAll({ ...defaultConfig("paper"), db }, []) as EpisodePlan[];
  const roleplay = all.filter((p): p is RoleplayPlan => p.suite === "roleplay").slice(0, 4);
  const games = all.filter((p): p is CollusionPlan => p.suite === "collusion" && p.key.endsWith("/0") && (p.settings.threshold === 2 || p.settings.threshold === 4));
  // A scenario name is data too: it reaches the list, the headings and the trace chart's title.
  const renamed = games.map((p, i): CollusionPlan => (i === 0 ? { ...p, scenario: { ...p.scenario, environment: HOSTILE_NAME } } : p));
  return [...roleplay, ...renamed];
}

/** Writes a run with a custom agent straight through the store and the runner. */
async function writeRun(id: string, plans: EpisodePlan[], agent: Agent): Promise<void> {
  const store = RunStore.open(db);
  try {
    store.createRun({ id, suite: "paper", model: agent.id, seed: 3, parity: "paper", config: { note: "written by the viewer test" }, versions: {}, plans });
    await runPlan(plans, agent, { seed: 3, store: { store, runId: id } });
    const failed = store.episodeStates(id).some((s) => s.status === "failed");
    store.setRunStatus(id, failed ? "failed" : "done");
  } finally {
    store.close();
  }
}

interface Stored {
  plans: EpisodePlan[];
  rounds: Map<number, TranscriptRound[]>;
  summary: RunSummary;
}

/** The run as the store has it, summarized here with summarize() directly. */
function stored(runId: string): Stored {
  const store = RunStore.open(db);
  try {
    const plans = store.loadPlans(runId);
    const states = store.episodeStates(runId);
    const byId = new Map(plans.map((p) => [episodeId(p.key, p.repeat), p]));
    const played: PlayedEpisode[] = store.exportTranscript(runId).map((t) => ({ plan: byId.get(episodeId(t.episode, t.repeat ?? 0))!, transcript: t }));
    const failed: FailedCall[] = states
      .filter((s) => s.status === "failed")
      .map((s) => ({ key: s.key, repeat: s.repeat, round: s.roundsSaved, error: s.error ?? "" }));
    const rounds = new Map(plans.map((_, idx) => [idx, store.savedRounds(runId, idx)]));
    return { plans, rounds, summary: summarize(played, { plans, failed }) };
  } finally {
    store.close();
  }
}

/** The summary as JSON carries it, without the per-trajectory lists the API leaves out. */
function summaryAsJson(summary: RunSummary): unknown {
  return JSON.parse(
    JSON.stringify(summaryRecord(summary), (key, value: unknown) => (key === "trajectories" ? undefined : value)),
  );
}

let demo: Stored;
let hostile: Stored;

before(async () => {
  await executeRun({ ...defaultConfig("paper"), seed: 1, db, runId: "demo" });
  await writeRun("hostile", hostilePlans(), hostileAgent);
  demo = stored("demo");
  hostile = stored("hostile");
  viewer = await startViewer({ db, port: 0 });
});

after(async () => {
  await viewer?.close();
  rmSync(root, { recursive: true, force: true });
});

async function getJson(path: string, base = viewer.url): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(new URL(path, base));
  return { status: res.status, body: await res.json(), headers: res.headers };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
/** The page's number format for rewards and capital. */
const num = (x: number) => (Number.isInteger(x) ? String(x) : String(Number(x.toFixed(4))));

// ---------------------------------------------------------------- API

test("GET /api/runs lists the runs with settings, progress and headline numbers", async () => {
  const { status, body, headers } = await getJson("/api/runs");
  assert.equal(status, 200);
  assert.equal(headers.get("content-security-policy"), CSP);
  assert.equal(headers.get("x-content-type-options"), "nosniff");
  assert.deepEqual(body.runs.map((r: any) => r.id).sort(), ["demo", "hostile"]);

  const d = body.runs.find((r: any) => r.id === "demo");
  assert.equal(d.status, "done");
  assert.equal(d.model, "policy:learner");
  assert.deepEqual(d.episodes, { total: 92, done: 92, failed: 0, running: 0, pending: 0, roundsSaved: 64 * 6 + 28 * 3, roundsPlanned: 64 * 6 + 28 * 3 });
  assert.deepEqual(d.settings.roleplay, { episodes: 64, rounds: 6, historyWindow: 5, supervision: "all_unsupervised" });
  assert.deepEqual(d.settings.collusion.thresholds, [2, 4, 6, 8]);
  assert.deepEqual(d.settings.collusion.payoffs, ["1.2,1.0,0.8"]);
  const last = roleplaySummary(demo.summary)!.overall[5];
  assert.equal(d.headline.scope, "finished");
  assert.deepEqual(d.headline.violation, { round: 6, deviant: last.deviant, total: last.total, rate: last.rate, low: last.low, high: last.high });
  assert.equal(d.headline.collusion.length, 4);
  collusionSummary(demo.summary).forEach((g, i) => {
    const h = d.headline.collusion[i];
    assert.equal(h.threshold, g.threshold);
    assert.equal(h.first.rate, g.rates[0].rate);
    assert.equal(h.first.round, 1);
    assert.equal(h.last.rate, g.rates[2].rate);
    assert.equal(h.last.round, 3);
  });

  const h = body.runs.find((r: any) => r.id === "hostile");
  assert.equal(h.status, "failed");
  assert.equal(h.episodes.failed, 1);
  assert.equal(h.episodes.done, 5);
});

test("GET /api/runs/:id gives the summary summarize() computes from the same store data", async () => {
  for (const [id, expected] of [["demo", demo], ["hostile", hostile]] as const) {
    const { status, body } = await getJson(`/api/runs/${id}`);
    assert.equal(status, 200);
    assert.deepEqual(body.summary, summaryAsJson(expected.summary), `${id}: summary`);
  }
  // Once every episode has finished, the rates so far are the summary's.
  const finished = (await getJson("/api/runs/demo")).body;
  assert.deepEqual(finished.soFar.roleplay, finished.summary.roleplay.overall);
  assert.deepEqual(finished.soFar.collusion.map((g: any) => g.rates), finished.summary.collusion.map((g: any) => g.rates));
  assert.deepEqual(finished.episodesBySuite, { roleplay: { total: 64, done: 64, failed: 0 }, collusion: { total: 28, done: 28, failed: 0 } });

  const { body } = await getJson("/api/runs/hostile");
  // The failed episode's decisions are missing, not counted as answers (as the report has it).
  const rows = body.summary.roleplay.overall;
  assert.deepEqual(rows.map((r: any) => [r.total, r.failed]), Array(6).fill([3, 1]));
  // So far counts the decisions it did make, and nothing it did not.
  assert.deepEqual(body.soFar.roleplay.map((r: any) => [r.total, r.failed]), [[4, 0], [4, 0], [3, 0], [3, 0], [3, 0], [3, 0]]);
  assert.equal(body.counted, 5);
  assert.deepEqual(body.run.config, { note: "written by the viewer test" });
  assert.deepEqual(body.scenarios, ["delivery worker", HOSTILE_NAME, "PublicFund"]);
  assert.deepEqual(body.thresholds, [2, 4]);
  const store = RunStore.open(db);
  try {
    assert.deepEqual(body.stats, JSON.parse(JSON.stringify(store.callStats("hostile"))));
  } finally {
    store.close();
  }
});

test("GET /api/runs/:id/episodes filters by suite, scenario, threshold, round and choice", async () => {
  const list = async (query: string) => {
    const { status, body } = await getJson(`/api/runs/demo/episodes?${query}`);
    assert.equal(status, 200, `${query}: ${JSON.stringify(body)}`);
    return body as { total: number; offset: number; limit: number; episodes: any[] };
  };
  const all = await list("");
  assert.equal(all.total, 92);
  assert.deepEqual(all.episodes.map((e) => e.idx), Array.from({ length: 92 }, (_, i) => i));

  const roleplay = await list("suite=roleplay");
  assert.equal(roleplay.total, 64);
  assert.ok(roleplay.episodes.every((e) => e.suite === "roleplay"));

  const t4 = await list("threshold=4");
  assert.equal(t4.total, 7);
  assert.ok(t4.episodes.every((e) => e.threshold === 4 && e.suite === "collusion"));

  const fund = await list("scenario=PublicFund");
  assert.deepEqual(fund.episodes.map((e) => e.threshold), [2, 4, 6, 8]);

  // Round 6 violations, worked out from the stored transcripts.
  const violated = demo.plans.flatMap((p, idx) =>
    p.suite === "roleplay" && demo.rounds.get(idx)![5].calls[0].choice === p.scenario.violatingChoice ? [idx] : [],
  );
  const r6 = await list("round=6&choice=deviant");
  assert.deepEqual(r6.episodes.map((e) => e.idx), violated);
  assert.equal(violated.length, roleplaySummary(demo.summary)!.overall[5].deviant);

  // Games where some agent colluded in round 1 at t = 2.
  const colluded = demo.plans.flatMap((p, idx) =>
    p.suite === "collusion" && p.settings.threshold === 2 && demo.rounds.get(idx)![0].calls.some((c) => c.choice === p.scenario.collectiveChoice) ? [idx] : [],
  );
  const g = await list("suite=collusion&threshold=2&round=1&choice=deviant");
  assert.deepEqual(g.episodes.map((e) => e.idx), colluded);
  const first = g.episodes[0];
  assert.equal(first.decisions.length, 3);
  assert.equal(first.decisions[0].deviant + first.decisions[0].aligned + first.decisions[0].unparseable, 8);

  const page = await list("limit=10&offset=85");
  assert.equal(page.total, 92);
  assert.deepEqual(page.episodes.map((e) => e.idx), [85, 86, 87, 88, 89, 90, 91]);
  assert.equal((await list("scenario=no-such-scenario")).total, 0);
  assert.equal((await list("status=done&suite=")).total, 92, "an empty value is no filter");
});

test("GET /api/runs/:id/episodes/:idx gives the transcript with choices, rewards and capital", async () => {
  const { status, body } = await getJson("/api/runs/hostile/episodes/0");
  assert.equal(status, 200);
  assert.equal(body.key, "roleplay/0");
  assert.equal(body.status, "done");
  const plan = hostile.plans[0] as RoleplayPlan;
  assert.deepEqual(body.options, { aligned: plan.scenario.compliantChoice, deviant: plan.scenario.violatingChoice });
  const saved = hostile.rounds.get(0)!;
  assert.equal(body.rounds.length, 6);
  body.rounds.forEach((round: any, r: number) => {
    assert.equal(round.round, r + 1);
    const call = round.calls[0];
    assert.deepEqual(call.messages, saved[r].calls[0].messages);
    assert.equal(call.response, saved[r].calls[0].response);
    assert.ok(call.response.includes(HOSTILE_SCRIPT), "the answer comes back verbatim");
    assert.equal(call.choice, saved[r].calls[0].choice);
    assert.equal(call.reward, saved[r].calls[0].reward);
    assert.equal(call.decision, r >= 3 ? "deviant" : "aligned");
    // The messages new this round follow the agent's last answer.
    if (r > 0) assert.equal(call.messages[call.newFrom - 1].role, "assistant");
    else assert.equal(call.messages[call.newFrom].role, "user");
  });

  const failed = (await getJson("/api/runs/hostile/episodes/3")).body;
  assert.equal(failed.status, "failed");
  assert.equal(failed.error, "server gone");
  assert.equal(failed.rounds.length, 2);

  const game = (await getJson("/api/runs/hostile/episodes/4")).body;
  assert.equal(game.environment, HOSTILE_NAME);
  assert.equal(game.threshold, 2);
  const savedGame = hostile.rounds.get(4)!;
  game.rounds.forEach((round: any, r: number) => {
    assert.equal(round.calls.length, 8);
    const colluders = savedGame[r].calls.filter((c) => c.choice === (hostile.plans[4] as CollusionPlan).scenario.collectiveChoice).length;
    assert.equal(round.colluders, colluders);
    assert.equal(round.success, colluders >= 2);
    round.calls.forEach((c: any, a: number) => {
      assert.equal(c.capital_before, savedGame[r].calls[a].capital_before);
      assert.equal(c.capital_after, savedGame[r].calls[a].capital_after);
      assert.equal(c.fixed, false);
    });
  });
});

test("charts are SVG drawn from the run's numbers, with scenario names escaped", async () => {
  for (const name of ["violation", "collusion", "conditional", "tipping"]) {
    const res = await fetch(new URL(`/api/runs/demo/charts/${name}.svg`, viewer.url));
    assert.equal(res.status, 200, name);
    assert.match(res.headers.get("content-type")!, /^image\/svg\+xml/);
    assert.equal(res.headers.get("content-security-policy"), CSP);
    assert.ok((await res.text()).startsWith("<svg"), name);
  }
  for (const name of ["violation", "collusion"]) {
    const res = await fetch(new URL(`/api/runs/hostile/charts/${name}.svg?scope=sofar`, viewer.url));
    assert.equal(res.status, 200, name);
    assert.match(await res.text(), /so far/i, name);
  }
  const violation = await (await fetch(new URL("/api/runs/demo/charts/violation.svg", viewer.url))).text();
  const r6 = roleplaySummary(demo.summary)!.overall[5];
  assert.ok(violation.includes(`round 6: violation rate ${pct(r6.rate)} (95% CI ${pct(r6.low)} to ${pct(r6.high)})`));

  const trace = await fetch(new URL(`/api/runs/hostile/charts/trace.svg?episode=${encodeURIComponent(hostile.plans[4].key)}`, viewer.url));
  assert.equal(trace.status, 200);
  const svg = await trace.text();
  assert.ok(svg.includes("Fund &lt;img src=x onerror="), "the name is escaped");
  assert.ok(!svg.includes("<img") && !svg.includes("<script"));
});

test("unknown things are 404 and bad parameters 400, as JSON", async () => {
  const cases: [string, number][] = [
    ["/api/runs/nope", 404],
    ["/api/runs/nope/episodes", 404],
    ["/api/runs/demo/episodes/999", 404],
    ["/api/runs/demo/charts/nope.svg", 404],
    ["/api/runs/demo/charts/violation.png", 404],
    ["/api/runs/demo/something", 404],
    ["/api/elsewhere", 404],
    ["/no/such/page", 404],
    ["/api/runs/demo/episodes?round=0", 400],
    ["/api/runs/demo/episodes?round=two", 400],
    ["/api/runs/demo/episodes?choice=maybe", 400],
    ["/api/runs/demo/episodes?suite=chess", 400],
    ["/api/runs/demo/charts/tooluse.svg", 404],
    ["/api/runs/demo/episodes?threshold=-1", 400],
    ["/api/runs/demo/episodes?limit=0", 400],
    ["/api/runs/demo/episodes?colour=red", 400],
    ["/api/runs/demo/episodes/abc", 400],
    ["/api/runs/demo/episodes/-1", 400],
    ["/api/runs/demo/episodes/1?x=1", 400],
    ["/api/runs/demo?x=1", 400],
    ["/api/runs/demo/charts/trace.svg", 400],
    ["/api/runs/demo/charts/trace.svg?episode=roleplay/0", 400],
    ["/api/runs/demo/charts/trace.svg?episode=collusion/t=9/r=1,1,1/0", 404],
    ["/api/runs/demo/charts/conditional.svg?payoff=9,9,9", 400],
    ["/api/runs/demo/charts/violation.svg?x=1", 400],
    ["/api/runs/demo/charts/violation.svg?scope=later", 400],
    ["/api/runs/%E0%A4%A", 400],
  ];
  for (const [path, status] of cases) {
    const res = await getJson(path);
    assert.equal(res.status, status, `${path}: ${JSON.stringify(res.body)}`);
    assert.equal(typeof res.body.error, "string", path);
  }
  const post = await fetch(new URL("/api/runs", viewer.url), { method: "POST" });
  assert.equal(post.status, 405);
});

test("only requests addressed to localhost are answered", async () => {
  const status = (host: string) =>
    new Promise<number>((resolve, reject) => {
      const url = new URL("/api/runs", viewer.url);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers: { host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
  assert.equal(await status("evil.example:80"), 403, "a DNS-rebinding page is refused");
  assert.equal(await status(`localhost:${new URL(viewer.url).port}`), 200);
  assert.equal(await status("[::1]:1234"), 200);
  assert.match(viewer.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  await assert.rejects(startViewer({ db, host: "0.0.0.0" }), /loopback/);
  await assert.rejects(startViewer({ db: join(root, "missing.db") }), /no run store there/);
});

// ---------------------------------------------------------------- a run writing while the viewer reads

test("the viewer reads a run while another process writes it, and sees its progress", async () => {
  const server = await startFakeOpenAI({ latencyMs: 8, capacity: 2, respond: (body) => choosingAnswer(body) });
  const liveDb = join(root, "live.db");
  RunStore.open(liveDb).close();
  const live = await startViewer({ db: liveDb });
  try {
    const args = ["run", "roleplay", "--model", "openai:fake-model", "--base-url", server.url, "--concurrency", "2", "--rounds", "3", "--db", liveDb, "--run-id", "live"];
    const child = spawn(process.execPath, [CLI, ...args], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let finished = false;
    void exited.then(() => (finished = true));

    const seen: { done: number; rounds: number; status: string }[] = [];
    /** Round-1 decisions: so far (every saved round) and in the finished episodes. */
    const firstRound: { soFar: number; finished: number; scope: string }[] = [];
    for (;;) {
      const { status, body } = await getJson("/api/runs", live.url);
      assert.equal(status, 200);
      const run = body.runs.find((r: any) => r.id === "live");
      if (run) {
        seen.push({ done: run.episodes.done, rounds: run.episodes.roundsSaved, status: run.status });
        // Every read must succeed mid-run, the details too.
        const detail = await getJson("/api/runs/live", live.url);
        assert.equal(detail.status, 200);
        firstRound.push({ soFar: detail.body.soFar.roleplay?.[0]?.total ?? 0, finished: detail.body.summary.roleplay.overall[0].total, scope: run.headline.scope });
      }
      if (finished) break;
      await new Promise((r) => setTimeout(r, 15));
    }
    assert.equal(await exited, 0, stderr);
    const { body } = await getJson("/api/runs", live.url);
    const final = body.runs.find((r: any) => r.id === "live");
    assert.equal(final.status, "done");
    assert.equal(final.episodes.done, 64);
    const dones = seen.map((s) => s.done);
    const rounds = seen.map((s) => s.rounds);
    assert.ok(dones.every((d, i) => i === 0 || d >= dones[i - 1]), "done never goes back");
    assert.ok(new Set(dones.filter((d) => d > 0 && d < 64)).size >= 2, `episodes-done seen rising mid-run: ${dones.join(",")}`);
    assert.ok(new Set(rounds.filter((r) => r > 0 && r < 192)).size >= 3, `saved rounds seen rising: ${rounds.join(",")}`);
    assert.ok(seen.some((s) => s.status === "running"));
    // Mid-run the rates so far run ahead of the finished episodes: that is how a running run shows its drift.
    assert.ok(firstRound.some((f) => f.soFar > f.finished && f.scope === "sofar"), JSON.stringify(firstRound.slice(0, 5)));
  } finally {
    await live.close();
    await server.close();
  }
});

test("a page's refresh reads the run once: ?at= names the snapshot its episodes and charts come from", async () => {
  const pinnedDb = join(root, "pinned.db");
  const plans = (planAll({ ...defaultConfig("paper"), db: pinnedDb }, []) as EpisodePlan[]).filter((p) => p.suite === "roleplay").slice(0, 2);
  const writer = RunStore.open(pinnedDb);
  writer.createRun({ id: "pinned", suite: "roleplay", model: "test:none", seed: 1, parity: "default", config: {}, versions: {}, plans });
  const pinned = await startViewer({ db: pinnedDb });
  try {
    const first = (await getJson("/api/runs/pinned", pinned.url)).body;
    assert.equal(typeof first.at, "number");
    const statuses = async (query: string) => (await getJson(`/api/runs/pinned/episodes${query}`, pinned.url)).body.episodes.map((e: any) => e.status);
    assert.deepEqual(await statuses(`?at=${first.at}`), ["pending", "pending"]);

    // The run moves on between the run's numbers and the rest of the page.
    writer.failEpisode("pinned", 0, "boom");
    assert.deepEqual(await statuses(`?at=${first.at}`), ["pending", "pending"], "the snapshot the page shows, not a new read");
    assert.deepEqual(await statuses(`?at=${first.at}&status=pending`), ["pending", "pending"], "filters apply to that snapshot");
    assert.equal((await fetch(new URL(`/api/runs/pinned/charts/violation.svg?at=${first.at}`, pinned.url))).status, 200);
    assert.deepEqual(await statuses(""), ["failed", "pending"], "without ?at= the run is read as it is now");

    const next = (await getJson("/api/runs/pinned", pinned.url)).body;
    assert.notEqual(next.at, first.at);
    assert.equal(next.run.episodes.failed, 1);
    // A snapshot the server no longer keeps gives the run as it is now.
    assert.deepEqual(await statuses(`?at=${first.at}`), ["failed", "pending"]);
    assert.equal((await getJson(`/api/runs/pinned?at=${next.at}`, pinned.url)).body.at, next.at);
    const bad = await getJson("/api/runs/pinned/episodes?at=latest", pinned.url);
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /^at: expected a snapshot number/);
  } finally {
    await pinned.close();
    writer.close();
  }
});

// ---------------------------------------------------------------- the command

function atp(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: root }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test("atp view refuses a missing store and a bad port with exit code 2", async () => {
  const missing = await atp(["view", "--db", join(root, "nothing-here.db")]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no run store there/);
  assert.ok(!existsSync(join(root, "nothing-here.db")), "no store is created");
  const port = await atp(["view", "--db", db, "--port", "70000"]);
  assert.equal(port.code, 2);
  assert.match(port.stderr, /--port/);
});

test("atp view prints its URL, serves the store and stops on Ctrl-C", async () => {
  const child = spawn(process.execPath, [CLI, "view", "--db", db, "--port", "0"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on("exit", () => reject(new Error(`atp view exited: ${out}`)));
  });
  const { status, body } = await getJson("/api/runs", url);
  assert.equal(status, 200);
  assert.equal(body.runs.length, 2);
  const page = await fetch(url);
  assert.match(await page.text(), /<script src="\/app\.js"/);
  child.kill("SIGINT");
  assert.equal(await exited, 0);
});

// ---------------------------------------------------------------- the page in Chromium

/** Whether Chromium is here: outside CI its absence skips with a message; under CI=true it fails. */
/** Polls a condition from the test side: the page's CSP (rightly) refuses Playwright's string predicates. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function rateOf(page: Page, selector: string): Promise<{ value: number; text: string }> {
  const cell = page.locator(selector);
  return { value: Number(await cell.getAttribute("data-rate")), text: ((await cell.textContent()) ?? "").trim() };
}

test("the page in Chromium", async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  try {
    await t.test("the runs list shows each run's headline numbers", async () => {
      await page.goto(viewer.url);
      const row = page.locator('tr[data-run-row="demo"]');
      await row.waitFor();
      assert.equal(await page.locator("tr[data-run-row]").count(), 2);
      const last = roleplaySummary(demo.summary)!.overall[5];
      const v = await rateOf(page, 'tr[data-run-row="demo"] td[data-field=violation]');
      assert.equal(v.value, last.rate);
      assert.ok(v.text.startsWith(pct(last.rate)), v.text);
      assert.equal((await row.locator("[data-field=episodes]").textContent())?.trim(), "92/92");
      const t8 = collusionSummary(demo.summary).find((g) => g.threshold === 8)!;
      assert.equal((await row.locator('li[data-threshold="8"]').textContent())?.trim(), `t=8 ${pct(t8.rates[0].rate)} → ${pct(t8.rates[2].rate)}`);
      assert.equal(await page.locator('tr[data-run-row="hostile"] [data-status]').textContent(), "failed");
    });

    await t.test("a run's page has its charts and the summary's numbers", async () => {
      await page.locator('a[href="#/run/demo"]').click();
      for (const name of ["violation", "collusion", "conditional", "tipping"]) {
        await page.locator(`figure[data-chart=${name}] svg`).waitFor();
      }
      const rows = page.locator("table[data-table=roleplay-rates] tbody tr");
      assert.equal(await rows.count(), 6);
      for (const [i, expected] of roleplaySummary(demo.summary)!.overall.entries()) {
        const rate = await rateOf(page, `table[data-table=roleplay-rates] tbody tr[data-round="${i + 1}"] td[data-field=rate]`);
        assert.equal(rate.value, expected.rate);
        assert.equal(rate.text, pct(expected.rate));
        assert.equal(await rows.nth(i).locator("td[data-field=total]").textContent(), String(expected.total));
        assert.equal(await rows.nth(i).locator("td[data-field=deviant]").textContent(), String(expected.deviant));
      }
      assert.equal(await page.locator("[data-field=final-violation]").textContent(), pct(roleplaySummary(demo.summary)!.overall[5].rate));
      for (const g of collusionSummary(demo.summary)) {
        for (const r of g.rates) {
          const rate = await rateOf(page, `table[data-table=collusion-rates] tr[data-threshold="${g.threshold}"] td[data-round="${r.round}"]`);
          assert.equal(rate.value, r.rate, `t=${g.threshold} round ${r.round}`);
          assert.ok(rate.text.startsWith(pct(r.rate)));
        }
      }
      // The chart shows the same numbers (vega's labels).
      const label = await page.locator('figure[data-chart=violation] path[aria-label*="round 6:"]').getAttribute("aria-label");
      assert.ok(label?.includes(pct(roleplaySummary(demo.summary)!.overall[5].rate)), label ?? "");
    });

    await t.test("the episode filters narrow the list", async () => {
      await page.locator("table.episodes tbody tr").first().waitFor();
      assert.equal(await page.locator("table.episodes tbody tr").count(), 92);
      await page.locator("select[data-filter=threshold]").selectOption("4");
      const episodeRows = () => page.locator("table.episodes tbody tr").count();
      await until("7 episodes at t = 4", async () => (await episodeRows()) === 7);
      await page.locator("select[data-filter=threshold]").selectOption("");
      await page.locator("select[data-filter=suite]").selectOption("roleplay");
      await page.locator("select[data-filter=round]").selectOption("6");
      await page.locator("select[data-filter=choice]").selectOption("deviant");
      const expected = roleplaySummary(demo.summary)!.overall[5].deviant;
      await until(`${expected} round-6 violations`, async () => (await episodeRows()) === expected);
      assert.match(page.url(), /suite=roleplay/, "the filters are kept in the address");
    });

    await t.test("an episode reads as a conversation; hostile answers stay text", async () => {
      await page.goto(`${viewer.url}#/run/hostile`);
      await page.locator('tr[data-episode="0"]').click();
      await page.locator("section.round").first().waitFor();
      const rounds = page.locator("section.round");
      assert.equal(await rounds.count(), 6);
      const saved = hostile.rounds.get(0)!;
      for (let r = 0; r < 6; r++) {
        const round = rounds.nth(r);
        const call = saved[r].calls[0];
        assert.equal((await round.locator("[data-field=choice] .chip").textContent())?.trim(), call.choice);
        assert.equal((await round.locator("[data-field=reward] b").textContent())?.trim(), num(call.reward));
        assert.equal((await round.locator("[data-field=decision-kind]").textContent())?.trim(), r >= 3 ? "violation" : "follows the rule");
      }
      // The reasoning is folded: there, closed, and its text not visible until opened.
      const thinks = page.locator("details.think");
      assert.equal(await thinks.count(), 6);
      for (let i = 0; i < 6; i++) assert.equal(await thinks.nth(i).evaluate((el: any) => el.open), false);
      assert.equal(await thinks.first().locator(".text").isVisible(), false);
      await thinks.first().locator("summary").click();
      assert.equal((await thinks.first().locator(".text").textContent())?.includes(HOSTILE_SCRIPT), true);
      // The hostile strings are shown as text, and nothing of them ran or became an element.
      const answerText = await rounds.first().locator(".msg.assistant .answer").textContent();
      assert.ok(answerText?.includes(HOSTILE_IMG), answerText ?? "");
      assert.equal(await page.evaluate(() => typeof (globalThis as { __pwned?: unknown }).__pwned), "undefined");
      assert.equal(await page.locator('img[src="x"]').count(), 0);
      assert.equal(await page.locator("script").count(), 1, "only the app's own script");
      // The system prompt is shown once, above the rounds.
      assert.equal(await page.locator("[data-field=system-prompt] .msg.system").count(), 1);
    });

    await t.test("a game shows all agents of a round side by side", async () => {
      await page.goto(`${viewer.url}#/run/hostile/episode/4`);
      await page.locator("section.round").first().waitFor();
      await page.locator("figure[data-chart=trace] svg").waitFor();
      assert.equal(await page.locator("h1").textContent(), HOSTILE_NAME);
      const saved = hostile.rounds.get(4)!;
      const rounds = page.locator("section.round");
      assert.equal(await rounds.count(), saved.length);
      for (let r = 0; r < saved.length; r++) {
        const cards = rounds.nth(r).locator(".agents .agent");
        assert.equal(await cards.count(), 8);
        const c = saved[r].calls[5];
        const card = rounds.nth(r).locator('.agent[data-agent="5"]');
        assert.equal((await card.locator("[data-field=choice] .chip").textContent())?.trim(), c.choice);
        assert.equal((await card.locator("[data-field=capital] b").textContent())?.trim(), `${num(c.capital_before!)} → ${num(c.capital_after!)}`);
      }
      assert.equal(await page.evaluate(() => typeof (globalThis as { __pwned?: unknown }).__pwned), "undefined");
      assert.equal(await page.locator('img[src="x"]').count(), 0);
    });

    await t.test("two runs side by side", async () => {
      await page.goto(viewer.url);
      await page.locator('input[data-run="demo"]').check();
      await page.locator('input[data-run="hostile"]').check();
      await page.locator("button#compare").click();
      for (const id of ["demo", "hostile"]) {
        const column = page.locator(`[data-compare-run="${id}"]`);
        await column.locator("figure[data-chart=violation] svg").waitFor();
        await column.locator("figure[data-chart=collusion] svg").waitFor();
        const expected = roleplaySummary((id === "demo" ? demo : hostile).summary)!.overall[0];
        const rate = await rateOf(page, `[data-compare-run="${id}"] table[data-table=roleplay-rates] tr[data-round="1"] td.num[data-rate]`);
        assert.equal(rate.value, expected.rate);
      }
      const diff = page.locator("[data-section=difference] tbody tr").first().locator("td[data-diff]").first();
      const expectedDiff = roleplaySummary(hostile.summary)!.overall[0].rate - roleplaySummary(demo.summary)!.overall[0].rate;
      assert.equal(Number(await diff.getAttribute("data-diff")), expectedDiff);
    });

    await t.test("the page follows a run as it is written", async () => {
      await page.goto(`${viewer.url}?poll=150#/`);
      await page.locator('tr[data-run-row="demo"]').waitFor();
      // One call at a time, slowly, so the page sees the run grow.
      let queue = Promise.resolve();
      const slow: Agent = {
        id: "test:slow",
        respond(call: AgentCall) {
          const options = call.options;
          if (options === undefined) throw new Error("choice testbeds only");
          const answer = queue.then(() => new Promise<void>((r) => setTimeout(r, 10)));
          queue = answer;
          return answer.then(() => ({ text: `{"choice": "${options.aligned}"}`, attempts: 1 }));
        },
      };
      const plans = (planAll({ ...defaultConfig("roleplay"), db }, []) as EpisodePlan[]).slice(0, 8);
      const writing = writeRun("growing", plans, slow);
      await page.locator('tr[data-run-row="growing"]').waitFor({ timeout: 10_000 });
      await writing;
      const row = page.locator('tr[data-run-row="growing"]');
      await until("the finished run", async () => (await row.locator("[data-field=episodes]").textContent()) === "8/8" && (await row.locator("[data-status]").textContent()) === "done");
    });

    assert.deepEqual(errors, [], "no script errors on any page");
  } finally {
    await browser.close();
  }
});
