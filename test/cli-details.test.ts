/** Small things a new user meets on the command line: help screens, hints, and inputs refused before any work. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { atpInProcess } from "./helpers/atp-in-process.js";

const root = mkdtempSync(join(tmpdir(), "atp-details-"));
after(() => rmSync(root, { recursive: true, force: true }));
const dir = () => mkdtempSync(join(root, "t-"));

/** The options of a help screen, each with its wrapped description joined into one line. */
function helpOptions(help: string): string[] {
  const section = help.split(/^Options:$/m)[1]?.split(/^\S/m)[0] ?? "";
  const options: string[] = [];
  for (const line of section.split("\n")) {
    if (/^ {2}-/.test(line)) options.push(line.trim());
    else if (line.trim() && options.length) options[options.length - 1] += " " + line.trim();
  }
  return options;
}

test("no help screen states an option's default twice; run --help shows a real-model example", async () => {
  const cwd = dir();
  const commands = [["run"], ["init"], ["resume"], ["runs"], ["export"], ["report"], ["compare"], ["view"], ["replay"], ["data", "fetch"], ["align", "pairs"], ["align", "export"], ["align", "reward-server"]];
  for (const args of commands) {
    const r = await atpInProcess([...args, "--help"], cwd);
    assert.equal(r.code, 0, r.stderr);
    const options = helpOptions(r.stdout);
    assert.ok(options.length >= 1, `${args.join(" ")} --help lists its options`);
    for (const option of options) {
      const defaults = option.match(/(\(|, )default[: ]/g) ?? [];
      assert.ok(defaults.length <= 1, `${args.join(" ")}: ${option}`);
    }
  }
  const run = await atpInProcess(["run", "--help"], cwd);
  assert.match(run.stdout, /atp run paper --model openai:\S+ --base-url http:\/\/\S+/);
});

test("a model string without its prefix suggests the one meant", async () => {
  const cwd = dir();
  for (const [typed, meant] of [["openai/gpt-4o", "openai:gpt-4o"], ["Qwen/Qwen3-8B", "openai:Qwen/Qwen3-8B"], ["model.gguf", "llama:model.gguf"], ["learner", "policy:learner"]]) {
    const r = await atpInProcess(["run", "roleplay", "--rounds", "1", "--model", typed], cwd);
    assert.equal(r.code, 2, typed);
    assert.ok(r.stderr.includes(`--model '${typed}': missing provider prefix; did you mean '${meant}'?`), r.stderr);
  }
});

test("--transcript naming a folder is refused before the run starts", async () => {
  const cwd = dir();
  mkdirSync(join(cwd, "out"));
  const started = Date.now();
  const r = await atpInProcess(["run", "paper", "--transcript", "out"], cwd);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--transcript out: is a folder; give a file name, e\.g\. out\/transcript\.jsonl/);
  assert.ok(!existsSync(join(cwd, "atp-runs")), "no store, no run written");
  assert.deepEqual(readdirSync(join(cwd, "out")), []);
  writeFileSync(join(cwd, "plain"), "");
  const under = await atpInProcess(["run", "roleplay", "--transcript", "plain/t.jsonl"], cwd);
  assert.equal(under.code, 2);
  assert.match(under.stderr, /--transcript plain\/t\.jsonl: .*plain is not a folder/);
  assert.ok(Date.now() - started < 20_000);
});

test("every file output naming a folder is refused before any work: align pairs, export, replay", async () => {
  const cwd = dir();
  mkdirSync(join(cwd, "out"));
  const pairs = await atpInProcess(["align", "pairs", "--suite", "roleplay", "--model", "policy:fixed?p=0.5", "--variants", "1", "--out", "out"], cwd);
  assert.equal(pairs.code, 2);
  assert.match(pairs.stderr, /--out out: is a folder; give a file name, e\.g\. out\/pairs\.jsonl/);
  assert.ok(!existsSync(join(cwd, "atp-runs")), "no pair run stored");
  const run = await atpInProcess(["run", "roleplay", "--rounds", "1", "--run-id", "r", "--transcript", "r.jsonl"], cwd);
  assert.equal(run.code, 0, run.stderr);
  for (const args of [["export", "r", "--out", "out"], ["replay", "r.jsonl", "--out", "out"]]) {
    const r = await atpInProcess(args, cwd);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, /^atp: error: --out out: is a folder/m);
  }
  assert.deepEqual(readdirSync(join(cwd, "out")), []);
});

test("an empty transcript is not replayed as a success", async () => {
  const cwd = dir();
  writeFileSync(join(cwd, "empty.jsonl"), "\n");
  const r = await atpInProcess(["replay", "empty.jsonl", "--out", "out.jsonl"], cwd);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /empty\.jsonl: the transcript has no episodes: nothing to replay/);
  assert.ok(!existsSync(join(cwd, "out.jsonl")));
});

test("a huge --agents is refused with a bound, from a flag and from a run file", async () => {
  const cwd = dir();
  const flag = await atpInProcess(["run", "collusion", "--agents", "1000000000", "--thresholds", "2"], cwd);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /--agents: at most 1000 agents per game .*got 1000000000/);
  writeFileSync(join(cwd, "big.yaml"), "suite: collusion\ncollusion:\n  agents: 5000000\n  thresholds: [2]\n");
  const file = await atpInProcess(["run", "big.yaml"], cwd);
  assert.equal(file.code, 2);
  assert.match(file.stderr, /big\.yaml: field 'collusion\.agents': at most 1000 agents/);
  const ok = await atpInProcess(["run", "collusion", "--agents", "12", "--thresholds", "2,12", "--rounds", "1"], cwd);
  assert.equal(ok.code, 0, ok.stderr);
});

test("a run file that is not UTF-8 is named in the error", async () => {
  const cwd = dir();
  writeFileSync(join(cwd, "latin1.yaml"), Buffer.from("suite: paper\nmodel: \"caf\xe9\"\n", "latin1"));
  const r = await atpInProcess(["run", "latin1.yaml"], cwd);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /latin1\.yaml: not valid UTF-8 text/);
  assert.doesNotMatch(r.stderr, /--model/);
});

test("compare's markdown prints p < 0.001 as typed; folders are written with --out-dir (--out still accepted)", async () => {
  const cwd = dir();
  for (const [id, p] of [["a", 0], ["b", 1]]) {
    const r = await atpInProcess(["run", "roleplay", "--rounds", "2", "--model", `policy:fixed?p=${p}`, "--run-id", String(id)], cwd);
    assert.equal(r.code, 0, r.stderr);
  }
  const md = await atpInProcess(["compare", "a", "b"], cwd);
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /\| 64 \| 0\.00 \| 100\.00 \| .* \| < 0\.001 \|$/m);
  assert.doesNotMatch(md.stdout, /&lt;|&gt;|&amp;/);

  assert.equal((await atpInProcess(["compare", "a", "b", "--out-dir", "cmp"], cwd)).code, 0);
  assert.ok(existsSync(join(cwd, "cmp", "compare.md")));
  assert.equal((await atpInProcess(["report", "a", "--out-dir", "rep"], cwd)).code, 0);
  assert.ok(existsSync(join(cwd, "rep", "report.md")));
  assert.equal((await atpInProcess(["report", "a", "--out", "old"], cwd)).code, 0);
  assert.ok(existsSync(join(cwd, "old", "report.md")));
  const both = await atpInProcess(["report", "a", "--out", "x", "--out-dir", "y"], cwd);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--out-dir and --out: give the folder once/);
  assert.ok(!existsSync(join(cwd, "x")) && !existsSync(join(cwd, "y")));

  const pairs = await atpInProcess(["align", "pairs", "--suite", "roleplay", "--model", "policy:fixed?p=0.5", "--variants", "1", "--out", "pairs.jsonl"], cwd);
  assert.equal(pairs.code, 0, pairs.stderr);
  assert.equal((await atpInProcess(["align", "export", "pairs.jsonl", "--format", "trl", "--out-dir", "trl"], cwd)).code, 0);
  assert.ok(existsSync(join(cwd, "trl", "atp_pairs.dpo.jsonl")));
  const none = await atpInProcess(["align", "export", "pairs.jsonl", "--format", "trl"], cwd);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--out-dir: required/);
});

test("the HTML report numbers agents from 0, as their prompts and the viewer do", async () => {
  const cwd = dir();
  const run = await atpInProcess(["run", "collusion", "--thresholds", "2", "--rounds", "2", "--run-id", "g", "--transcript", "g.jsonl"], cwd);
  assert.equal(run.code, 0, run.stderr);
  const prompts = readFileSync(join(cwd, "g.jsonl"), "utf8");
  assert.match(prompts, /Agent 0[: ]/, "the agents' prompts count from 0");
  const r = await atpInProcess(["report", "g", "--format", "html", "--out-dir", "rep"], cwd);
  assert.equal(r.code, 0, r.stderr);
  const html = readFileSync(join(cwd, "rep", "report.html"), "utf8");
  const labels = new Set([...html.matchAll(/>Agent (\d+)</g)].map((m) => Number(m[1])));
  assert.deepEqual([...labels].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7]);
});
