/**
 * Reports and comparisons. A hand-made run (written to the store directly, with choices picked
 * so every number can be worked out on paper) pins the numbers in md, csv and json; runs of a
 * policy agent exercise the whole grid, the charts, the CLI and `atp compare`.
 */
import { before, after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { InputError } from "../src/core/errors.js";
import { percent } from "../src/core/format.js";
import { PAPER_COLLUSION } from "../src/testbeds/collusion/engine.js";
import { PAPER_ROLEPLAY } from "../src/testbeds/roleplay/engine.js";
import { defaultConfig, type RunConfig } from "../src/run/config.js";
import { executeRun } from "../src/run/execute.js";
import { planCollusion } from "../src/testbeds/collusion/plan.js";
import { planRoleplay } from "../src/testbeds/roleplay/plan.js";
import type { EpisodePlan } from "../src/testbeds/registry.js";
import { loadRun } from "../src/report/load.js";
import { escapeHtml, parseFormats, reportCsv, reportHtml, reportJson, reportMarkdown, writeReport } from "../src/report/report.js";
import { BUILTIN_GAME_SCENARIOS } from "../src/testbeds/collusion/pack.js";
import { BUILTIN_ROLEPLAY_TEMPLATES } from "../src/testbeds/roleplay/pack.js";
import { expandRoleplay } from "../src/scenarios/generate.js";
import { RunStore } from "../src/store/store.js";
import type { TranscriptCall, TranscriptRound } from "../src/transcript/types.js";
import { atpInProcess } from "./helpers/atp-in-process.js";

const root = mkdtempSync(join(tmpdir(), "atp-report-"));
after(() => rmSync(root, { recursive: true, force: true }));

let scratchCount = 0;
function scratch(): string {
  return mkdtempSync(join(root, `t${scratchCount++}-`));
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function atp(args: string[], cwd = scratch()): Promise<Result> {
  return atpInProcess(args, cwd, process.env);
}

// ---------------------------------------------------------------- numbers worked out by hand

const Z = 1.959963984540054;

/** Wilson score interval, written out again here so the report is checked against the formula, not itself. */
function wilsonByHand(k: number, n: number): [number, number] {
  const p = k / n;
  const centre = (p + (Z * Z) / (2 * n)) / (1 + (Z * Z) / n);
  const half = (Z / (1 + (Z * Z) / n)) * Math.sqrt((p * (1 - p)) / n + (Z * Z) / (4 * n * n));
  return [k === 0 ? 0 : centre - half, k === n ? 1 : centre + half];
}

function close(actual: unknown, expected: number, what: string): void {
  assert.ok(typeof actual === "number" || typeof actual === "string", `${what}: got ${String(actual)}`);
  assert.ok(Math.abs(Number(actual) - expected) < 1e-12, `${what}: ${String(actual)} != ${expected}`);
}

/** A tiny CSV reader (quoted fields allowed), giving one object per row keyed by the header. */
function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n") {
      row.push(field.replace(/\r$/, ""));
      rows.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  const [header, ...body] = rows;
  for (const r of body) assert.equal(r.length, header.length, `CSV row ${r.join(",")} has ${r.length} fields for ${header.length} columns`);
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

const SCRIPT = "<script>alert(1)</script>";
const IMG = `<img src=x onerror="alert(2)">`;

/**
 * Four role-play episodes of 2 rounds, and a fifth that failed in its second round:
 *   round 1: V C C U (1 violation of 4 answers, 1 unparseable) -> 25%
 *   round 2: V V V C (3 of 4)                                   -> 75%
 * and one 4-agent game at t = 2: round 1 agents 0,1 collude (succeeds), round 2 agents 0,1,2.
 */
function handMadeRun(db: string, runId: string): void {
  const scenarios = expandRoleplay(BUILTIN_ROLEPLAY_TEMPLATES.slice(0, 5), 1);
  const roleplay = planRoleplay(scenarios, { ...PAPER_ROLEPLAY, rounds: 2, parity: "default" }, 1);
  const game = planCollusion(BUILTIN_GAME_SCENARIOS.slice(0, 1), { ...PAPER_COLLUSION, agents: 4, rounds: 2, parity: "default" }, [2], [{ high: 1.2, normal: 1.0, low: 0.8 }], 1);
  const plans: EpisodePlan[] = [...roleplay, ...game];
  const store = RunStore.open(db);
  try {
    store.createRun({ id: runId, suite: "paper", model: "hand:made", seed: 7, parity: "default", config: { note: "hand-made" }, versions: { "atp-testbed": "test" }, plans });
    const V = "violate";
    const C = "comply";
    const U = "unreadable";
    const choices = [
      [V, V],
      [C, V],
      [C, V],
      [U, C],
      [C],
    ];
    roleplay.forEach((plan, idx) => {
      const s = plan.scenario;
      choices[idx].forEach((kind, r) => {
        const choice = kind === V ? s.violatingChoice : kind === C ? s.compliantChoice : null;
        // Episode 1 answers with markup in round 2: it must come out as text.
        const response = idx === 1 && r === 1 ? `Sure. ${SCRIPT} ${IMG}\n{"choice": "${s.violatingChoice}"}` : choice ? `{"choice": "${choice}"}` : "I cannot decide.";
        const call: TranscriptCall = {
          agent: 0,
          messages: [
            { role: "system", content: s.systemPrompt },
            { role: "user", content: s.userPrompt },
          ],
          response,
          choice,
          reward: kind === V ? s.highReward : kind === C ? s.lowReward : 0,
        };
        const round: TranscriptRound = { round: r, supervision: -1, calls: [call], outcome: `round ${r + 1}` };
        store.saveRound(runId, idx, round, [{ agent: 0, latencyMs: 5, attempts: 1, cached: false, promptTokens: 10, completionTokens: 3 }]);
      });
      if (idx === 4) store.failEpisode(runId, idx, "HTTP 500 <b>server down</b>");
      else store.finishEpisode(runId, idx);
    });
    const g = game[0];
    const gameIdx = roleplay.length;
    const colluders = [2, 3];
    let capital = 1;
    colluders.forEach((k, r) => {
      const calls: TranscriptCall[] = [0, 1, 2, 3].map((agent) => ({
        agent,
        messages: [{ role: "user", content: "Choose." }],
        response: "ok",
        choice: agent < k ? g.scenario.collectiveChoice : g.scenario.independentChoice,
        reward: capital * 0.2,
        capital_before: capital,
        capital_after: capital * 1.2,
      }));
      capital *= 1.2;
      store.saveRound(runId, gameIdx, { round: r, calls, outcome: `${k} colluded` }, calls.map((c) => ({ agent: c.agent, latencyMs: 5, attempts: 1, cached: r === 1 })));
    });
    store.finishEpisode(runId, gameIdx);
    store.setRunStatus(runId, "failed");
  } finally {
    store.close();
  }
}

// ---------------------------------------------------------------- policy runs

function policyConfig(db: string, runId: string, model: string, thresholds: number[]): RunConfig {
  const config = defaultConfig("paper");
  config.model = model;
  config.db = db;
  config.runId = runId;
  config.seed = 3;
  config.repeats = 2;
  config.testbeds.roleplay.variants = 1;
  config.testbeds.roleplay.rounds = 3;
  config.testbeds.collusion.thresholds = thresholds;
  return config;
}

let dbA = "";
let dbB = "";
let handDb = "";

before(async () => {
  const dir = scratch();
  dbA = join(dir, "a.db");
  dbB = join(dir, "b.db");
  handDb = join(dir, "hand.db");
  await executeRun(policyConfig(dbA, "low", "policy:fixed?p=0.3", [2, 6]));
  await executeRun(policyConfig(dbB, "high", "policy:fixed?p=0.6", [2, 4]));
  handMadeRun(handDb, "hand");
});

// ---------------------------------------------------------------- tests

test("loadRun: finished episodes played, failed ones listed with their error and round; unknown input refused", () => {
  const r = loadRun(handDb, "hand");
  assert.equal(r.testbeds.reduce((n, t) => n + t.played.length, 0), 5);
  assert.deepEqual(r.failed, [{ key: "roleplay/4", repeat: 0, round: 1, error: "HTTP 500 <b>server down</b>" }]);
  assert.deepEqual(r.episodes, { planned: 6, done: 5, failed: 1, unfinished: 0 });
  assert.equal(r.stats.calls, 5 * 2 - 1 + 8);
  assert.equal(r.stats.cached, 4);
  assert.equal(r.summary.failures.length, 1);

  assert.throws(() => loadRun(handDb, "nope"), (err: unknown) => err instanceof InputError && /no run 'nope'/.test(err.message) && /atp runs --db/.test(err.message));
  const missing = join(scratch(), "none.db");
  assert.throws(() => loadRun(missing, "hand"), InputError);
  assert.ok(!existsSync(missing), "a missing store is not created");
});

test("parseFormats: repeatable and comma lists, in order, without repeats; unknown names refused", () => {
  assert.deepEqual(parseFormats(["md,csv", "html", "md"]), ["md", "csv", "html"]);
  assert.deepEqual(parseFormats(["JSON"]), ["json"]);
  assert.throws(() => parseFormats(["md,pdf"]), (err: unknown) => err instanceof InputError && /'pdf'/.test(err.message));
  assert.throws(() => parseFormats([","]), InputError);
});

test("hand-made run: md shows the worked-out rates and intervals, the unparseable and failed apart", () => {
  const r = loadRun(handDb, "hand");
  const md = reportMarkdown(r);
  const [l1, h1] = wilsonByHand(1, 4);
  const [l3, h3] = wilsonByHand(3, 4);
  const [l2, h2] = wilsonByHand(2, 4);
  const p = (x: number) => (x * 100).toFixed(2);
  assert.equal(`${p(l1)}–${p(h1)}`, "4.56–69.94");
  assert.match(md, /^\| Violation rate \(%\) \| 25\.00 \| 75\.00 \|$/m);
  assert.ok(md.includes(`| 95% CI (%) | ${p(l1)}–${p(h1)} | ${p(l3)}–${p(h3)} |`), md);
  assert.match(md, /^\| Violations \/ answers \| 1\/4 \| 3\/4 \|$/m);
  assert.match(md, /^\| Unparseable \| 1 \| 0 \|$/m);
  // The failed episode: its one answer in round 1 and missing round 2 are out of the rates.
  assert.match(md, /^\| Missing \(failed or unfinished\) \| 1 \| 1 \|$/m);
  assert.match(md, /^\| roleplay\/4 \| 0 \| 2 \| HTTP 500 &lt;b&gt;server down&lt;\/b&gt; \|$/m);
  // Collusion: 2/4 then 3/4 at t = 2, k = 1; after the round-1 success 3 of 4 collude.
  assert.ok(md.includes(`| 2 | (1.2, 1.0, 0.8) | 1 | 1 | 50.00 (${p(l2)}–${p(h2)}) | 75.00 (${p(l3)}–${p(h3)}) | 0 |`), md);
  assert.ok(md.includes(`| 2 | (1.2, 1.0, 0.8) | 1 → 2 | 75.00 (${p(l3)}–${p(h3)}) | 4 | – | 0 |`), md);
  assert.match(md, /\| 2 \| \(1\.2, 1\.0, 0\.8\) \| 1 \| 1\.200 \| 1\.440 \| 1\.440 ± 0\.000 \| 1\.440 \| 1\.440 \| 4 \| 0 \|/);
  assert.match(md, /Episodes \| 6 planned: 5 done, 1 failed, 0 unfinished/);
  for (const name of ["violation", "collusion", "conditional", "trace-t2", "tipping"]) assert.ok(md.includes(`](charts/${name}.png)`), `md embeds ${name}`);
  assert.ok(!md.includes("<b>") && !md.includes("<script"), "no raw markup in the Markdown");
  assert.doesNotMatch(md, /Across repeats/);
});

test("hand-made run: CSV and JSON carry the same numbers, unrounded", () => {
  const r = loadRun(handDb, "hand");
  const files = reportCsv(r);
  assert.deepEqual([...files.keys()].sort(), [
    "calls.csv",
    "capital.csv",
    "collusion_by_game.csv",
    "collusion_by_round.csv",
    "conditional.csv",
    "failed.csv",
    "success.csv",
    "tipping.csv",
    "violation_by_round.csv",
    "violation_by_scenario.csv",
  ]);
  const byRound = parseCsv(files.get("violation_by_round.csv")!);
  assert.deepEqual(Object.keys(byRound[0]), ["round", "deviant", "unparseable", "missing", "total", "rate", "ci_low", "ci_high"]);
  assert.deepEqual(
    byRound.map((x) => [x.round, x.deviant, x.unparseable, x.missing, x.total, x.rate]),
    [
      ["1", "1", "1", "1", "4", "0.25"],
      ["2", "3", "0", "1", "4", "0.75"],
    ],
  );
  const [l1, h1] = wilsonByHand(1, 4);
  const [l3, h3] = wilsonByHand(3, 4);
  close(byRound[0].ci_low, l1, "round 1 low");
  close(byRound[0].ci_high, h1, "round 1 high");
  close(byRound[1].ci_low, l3, "round 2 low");
  close(byRound[1].ci_high, h3, "round 2 high");

  const scenarios = parseCsv(files.get("violation_by_scenario.csv")!);
  assert.equal(scenarios.length, 5 * 2);
  assert.deepEqual(scenarios.filter((x) => x.scenario === scenarios[0].scenario).map((x) => x.rate), ["1", "1"]);

  const collusion = parseCsv(files.get("collusion_by_round.csv")!);
  assert.deepEqual(
    collusion.map((x) => [x.threshold, x.high, x.normal, x.low, x.incentive_ratio, x.round, x.deviant, x.total, x.rate]),
    [
      ["2", "1.2", "1", "0.8", "1", "1", "2", "4", "0.5"],
      ["2", "1.2", "1", "0.8", "1", "2", "3", "4", "0.75"],
    ],
  );
  const conditional = parseCsv(files.get("conditional.csv")!);
  const afterSuccess = conditional.find((x) => x.scope === "pair" && x.from_round === "1" && x.given === "succeeded")!;
  assert.deepEqual([afterSuccess.to_round, afterSuccess.n, afterSuccess.colluded, afterSuccess.rate], ["2", "4", "3", "0.75"]);
  close(afterSuccess.ci_low, l3, "conditional low");
  const afterFailure = conditional.find((x) => x.scope === "pair" && x.given === "failed")!;
  assert.deepEqual([afterFailure.n, afterFailure.rate], ["0", "0"]);
  assert.equal(conditional.filter((x) => x.scope === "pooled").length, 2);

  // Role-play trajectories: V V tips at 1, C V at 2 (twice), U C never; the failed episode is incomplete.
  const tipping = parseCsv(files.get("tipping.csv")!).filter((x) => x.suite === "roleplay");
  assert.deepEqual(
    tipping.map((x) => [x.round, x.tipped_at_round, x.tipped_by_round, x.complete, x.share]),
    [
      ["1", "1", "1", "4", "0.25"],
      ["2", "2", "3", "4", "0.75"],
    ],
  );
  const capital = parseCsv(files.get("capital.csv")!);
  close(capital[0].mean, 1.44, "final capital");
  assert.equal(capital[0].agents, "4");
  assert.deepEqual(parseCsv(files.get("failed.csv")!), [{ episode: "roleplay/4", repeat: "0", round: "2", error: "HTTP 500 <b>server down</b>" }]);

  const json = JSON.parse(reportJson(r));
  assert.deepEqual(Object.keys(json), [...Object.keys(json)].sort(), "keys sorted");
  assert.equal(json.run.id, "hand");
  assert.deepEqual(json.episodes, { done: 5, failed: 1, planned: 6, unfinished: 0 });
  const overall = json.summary.roleplay.overall;
  assert.deepEqual(
    overall.map((x: { rate: number; deviant: number; total: number; unparseable: number; failed: number }) => [x.rate, x.deviant, x.total, x.unparseable, x.failed]),
    [
      [0.25, 1, 4, 1, 1],
      [0.75, 3, 4, 0, 1],
    ],
  );
  close(overall[0].low, l1, "json low");
  close(overall[1].high, h3, "json high");
  assert.equal(json.summary.collusion[0].diffusion.pairs[0].afterSuccess.rate, 0.75);
  assert.equal(json.stats.calls, 17);
  assert.equal(reportJson(loadRun(handDb, "hand")), reportJson(r), "the same run gives the same text");
});

test("html: one self-contained page, inline SVG, model output escaped", async () => {
  const r = loadRun(handDb, "hand");
  const html = await reportHtml(r);
  assert.match(html, /^<!DOCTYPE html>/);
  assert.doesNotMatch(html, /\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i, "no external resources");
  assert.doesNotMatch(html, /<script/i, "no scripts at all");
  assert.doesNotMatch(html, /<link\b|@import|url\(\s*["']?https?:/i);
  assert.doesNotMatch(html, /<img/i);
  assert.ok((html.match(/<svg/g) ?? []).length >= 5, "charts inline");
  assert.ok(html.includes(escapeHtml(SCRIPT)), "the script answer is shown as text");
  assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
  assert.ok(html.includes("&lt;img src=x onerror=&quot;alert(2)&quot;&gt;"));
  assert.ok(html.includes("HTTP 500 &lt;b&gt;server down&lt;/b&gt;"));
  assert.ok(!html.includes("<b>server"));
  assert.match(html, /Role-play conversations/);
  assert.match(html, /A game, round by round/);
  // Ids inside the charts are scoped per chart, so no two elements share one.
  const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(escapeHtml(`a&b<c>"d"'e'`), "a&amp;b&lt;c&gt;&quot;d&quot;&#39;e&#39;");
});

test("writeReport writes every format, charts as SVG and PNG", async () => {
  const out = join(scratch(), "report");
  const files = await writeReport(loadRun(dbA, "low"), { formats: ["md", "csv", "json", "html"], outDir: out });
  for (const f of files) assert.ok(existsSync(f), f);
  const names = readdirSync(out).sort();
  for (const n of ["report.md", "report.json", "report.html", "violation_by_round.csv", "violation_by_scenario.csv", "collusion_by_round.csv", "conditional.csv", "tipping.csv", "capital.csv", "repeats.csv", "charts"]) {
    assert.ok(names.includes(n), `${n} in ${names.join(", ")}`);
  }
  assert.ok(!names.some((n) => n.includes(".tmp")), "no temporary files left");
  const charts = readdirSync(join(out, "charts")).sort();
  assert.deepEqual(charts, ["collusion", "conditional", "tipping", "trace-t2", "trace-t6", "violation"].flatMap((n) => [`${n}.png`, `${n}.svg`]));
  for (const png of charts.filter((c) => c.endsWith(".png"))) {
    assert.deepEqual([...readFileSync(join(out, "charts", png)).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${png} is a PNG`);
  }
  // Two repeats: the spread across them, checked against the per-repeat rates in the JSON.
  const md = readFileSync(join(out, "report.md"), "utf8");
  assert.match(md, /## Across repeats/);
  const json = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
  const perRepeat = json.summary.roleplay.repeats.repeats.map((x: { rates: { rate: number }[] }) => x.rates[0].rate) as number[];
  const mean = (perRepeat[0] + perRepeat[1]) / 2;
  const sd = Math.abs(perRepeat[0] - perRepeat[1]) / Math.SQRT2;
  const repeats = parseCsv(readFileSync(join(out, "repeats.csv"), "utf8")).find((x) => x.suite === "roleplay" && x.round === "1")!;
  close(repeats.mean, mean, "mean over repeats");
  close(repeats.sd, sd, "sd over repeats");
  assert.equal(repeats.repeats, "2");
  assert.ok(md.includes(`${percent(mean)} ± ${percent(sd)}`), "md shows mean ± sd");
});

test("atp report through the CLI: default md into ./atp-reports/<run>/, every format, bad input exits 2 and writes nothing", async () => {
  const cwd = scratch();
  const r = await atp(["report", "low", "--db", dbA], cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(cwd, "atp-reports", "low", "report.md")));
  assert.ok(existsSync(join(cwd, "atp-reports", "low", "charts", "violation.png")));
  assert.ok(!existsSync(join(cwd, "atp-reports", "low", "report.html")), "md only by default");

  const out = join(scratch(), "all");
  const all = await atp(["report", "hand", "--db", handDb, "--format", "md,csv", "--format", "json", "--format", "html", "--out", out]);
  assert.equal(all.code, 0, all.stderr);
  for (const f of ["report.md", "report.json", "report.html", "violation_by_round.csv", "conditional.csv", "charts/tipping.svg"]) assert.ok(existsSync(join(out, f)), f);
  assert.ok(all.stdout.includes(join(out, "report.html")));

  const unknownRun = join(scratch(), "x");
  const bad = await atp(["report", "nope", "--db", handDb, "--out", unknownRun]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /no run 'nope'/);
  assert.match(bad.stderr, /atp runs --db/);
  assert.ok(!existsSync(unknownRun), "nothing written");

  const badFormat = join(scratch(), "y");
  const fmt = await atp(["report", "hand", "--db", handDb, "--format", "md,pdf", "--out", badFormat]);
  assert.equal(fmt.code, 2);
  assert.match(fmt.stderr, /unknown format 'pdf'/);
  assert.ok(!existsSync(badFormat), "nothing written");

  const noStore = join(scratch(), "missing.db");
  const missing = await atp(["report", "low", "--db", noStore]);
  assert.equal(missing.code, 2);
  assert.ok(!existsSync(noStore));
});

interface PairedRowJson {
  round: number;
  pairs: number;
  difference: number;
  low: number;
  high: number;
  pValue: number;
  onlyA: number;
  onlyB: number;
}

interface ComparisonJson {
  a: { id: string };
  b: { id: string };
  comparison: { groups: { suite: string; threshold: number | null; rounds: PairedRowJson[] }[]; onlyA: unknown[]; onlyB: unknown[]; mismatched: unknown[] };
}

test("atp compare: a run against itself differs by 0 with p = 1", async () => {
  const j = await atp(["compare", "low", "low", "--db", dbA, "--format", "json"]);
  assert.equal(j.code, 0, j.stderr);
  const c = JSON.parse(j.stdout) as ComparisonJson;
  assert.equal(c.a.id, "low");
  assert.deepEqual(
    c.comparison.groups.map((g) => [g.suite, g.threshold]),
    [
      ["roleplay", null],
      ["collusion", 2],
      ["collusion", 6],
    ],
  );
  for (const g of c.comparison.groups) {
    for (const row of g.rounds) {
      assert.ok(row.pairs > 0);
      assert.deepEqual([row.difference, row.onlyA, row.onlyB, row.pValue], [0, 0, 0, 1]);
      assert.ok(row.low <= 0 && row.high >= 0);
    }
  }
  assert.deepEqual([c.comparison.onlyA, c.comparison.onlyB, c.comparison.mismatched], [[], [], []]);

  const md = await atp(["compare", "low", "low", "--db", dbA]);
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /^# Paired comparison: run low \(A\) and run low \(B\)/);
  assert.match(md.stdout, /^\| 1 \| 32 \| [\d.]+ \| [\d.]+ \| 0\.00 \| [^|]+ \| 0 \| 0 \| 1 \|$/m);
  assert.match(md.stdout, /every finished episode has its partner/);
});

test("atp compare: two policy runs from two stores differ, with p-values in [0, 1] and unpaired games listed", async () => {
  const j = await atp(["compare", "low", "high", "--db", dbA, "--db-b", dbB, "--format", "json"]);
  assert.equal(j.code, 0, j.stderr);
  const c = JSON.parse(j.stdout) as ComparisonJson;
  const rows = c.comparison.groups.flatMap((g) => g.rounds);
  assert.ok(rows.some((x) => x.difference !== 0), "some round differs");
  for (const x of rows) {
    assert.ok(x.pValue >= 0 && x.pValue <= 1, `p = ${x.pValue}`);
    assert.ok(x.low <= x.difference && x.difference <= x.high);
  }
  // Thresholds 2 and 6 against 2 and 4: only t = 2 pairs; the rest is listed.
  assert.deepEqual(c.comparison.groups.filter((g) => g.suite === "collusion").map((g) => g.threshold), [2]);
  assert.equal(c.comparison.onlyA.length, 14);
  assert.equal(c.comparison.onlyB.length, 14);

  const out = scratch();
  const md = await atp(["compare", "low", "high", "--db", dbA, "--db-b", dbB, "--out", out]);
  assert.equal(md.code, 0, md.stderr);
  const text = readFileSync(join(out, "compare.md"), "utf8");
  assert.match(text, /## Role-play: violation rate \(32 paired episodes\)/);
  assert.match(text, /## Collusion, t = 2, payoffs \(1\.2, 1\.0, 0\.8\), k = 1 \(14 paired games\)/);
  assert.match(text, /In A only: 14: collusion\/t=6/);
  assert.match(text, /In B only: 14: collusion\/t=4/);

  const bad = await atp(["compare", "low", "nope", "--db", dbA]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /no run 'nope'/);
});
