/**
 * Cut-off answers through the real `atp` command: by default a run against a server that cuts
 * every answer off fails, says how many and which flag raises the limit, and keeps the count for
 * `atp report` and the end-of-run summary (with their calls and tokens); --score-truncated scores
 * them (also on resume); a bad --history-reasoning is refused with exit 2.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeOpenAI } from "./helpers/fake-openai.js";
import { chatShape, fillShape } from "./helpers/openai-shapes.js";
import { atpInProcess } from "./helpers/atp-in-process.js";

const root = mkdtempSync(join(tmpdir(), "atp-answers-cli-"));
after(() => rmSync(root, { recursive: true, force: true }));

function atp(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return atpInProcess(args, root, process.env);
}

test("atp run: cut-off answers fail the run and are counted; --score-truncated scores them; atp report counts them", async (t) => {
  const length = chatShape(t, "ollama", "length");
  if (!length) return;
  const server = await startFakeOpenAI({ respond: () => ({ body: fillShape(length, { content: "I would rather" }) }) });
  try {
    const common = ["run", "roleplay", "--model", "openai:fake-model", "--base-url", server.url, "--rounds", "1", "--variants", "1", "--retries", "0", "--no-cache"];
    const db = join(root, "a.db");
    const failed = await atp([...common, "--db", db, "--run-id", "cut"]);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stderr, /atp: 16 answers were cut off at the token limit \(not scored; score them with --score-truncated\); raise the limit with --max-tokens/);
    assert.match(failed.stderr, /16 episodes failed/);
    // The cut-off calls were asked and paid for: the summary counts them and their tokens.
    assert.match(failed.stderr, /: 16 calls this session \(0 from the cache, 0 needed a retry, 0 failed\), 160 tokens in, 128 out,/);

    const scored = await atp([...common, "--db", db, "--run-id", "scored", "--score-truncated"]);
    assert.equal(scored.code, 0, scored.stderr);
    assert.match(scored.stderr, /atp: 16 answers were cut off at the token limit \(scored as they are \(--score-truncated\)\)/);

    const out = join(root, "report");
    const report = await atp(["report", "cut", "--db", db, "--format", "md,csv,json", "--out", out]);
    assert.equal(report.code, 0, report.stderr);
    assert.match(readFileSync(join(out, "report.md"), "utf8"), /0 answered, 0 from the cache, 0 needed a retry; 16 cut off at the token limit, 0 empty/);
    const json = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    assert.deepEqual([json.stats.truncated, json.stats.empty, json.stats.errors], [16, 0, 0]);
    const csv = readFileSync(join(out, "calls.csv"), "utf8").trim().split(/\r\n/);
    assert.equal(csv[0], "calls,cached,retried,truncated,empty,prompt_tokens,completion_tokens,mean_latency_ms");
    assert.match(csv[1], /^0,0,0,16,0,/);

    // The failed episodes rerun and, scored this time, finish; the first cut-off answers stay counted.
    const resumed = await atp(["resume", "cut", "--db", db, "--retry-errors", "--score-truncated", "--base-url", server.url]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /atp: 32 answers were cut off at the token limit \(scored as they are/);
  } finally {
    await server.close();
  }
});

test("atp run --history-reasoning (and historyReasoning in a run file) takes keep or drop only", async () => {
  const bad = await atp(["run", "roleplay", "--history-reasoning", "sometimes", "--db", join(root, "b.db")]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--history-reasoning.*sometimes.*keep, drop/);
  const file = join(root, "bad.yaml");
  writeFileSync(file, "suite: roleplay\nscoreTruncated: true\nhistoryReasoning: maybe\n");
  const badFile = await atp(["run", file, "--db", join(root, "c.db")]);
  assert.equal(badFile.code, 2);
  assert.match(badFile.stderr, /bad\.yaml: field 'historyReasoning': .*"keep"\|"drop"/);
});
