/**
 * The progress line on a real terminal: `atp run` inside a pseudo-terminal (util-linux `script`)
 * against a loopback server that is slow and sometimes fails. Captured as the run goes, the line
 * counts calls done out of planned upwards, gains an ETA, and shows the last error while retries go on.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { choosingAnswer, startFakeOpenAI } from "./helpers/fake-openai.js";
import { repoRoot } from "./helpers/paper.js";

const CLI = join(repoRoot, "dist", "src", "cli", "main.js");

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

test("on a terminal the progress line counts calls out of planned, with an ETA and the last error", async (t) => {
  if (spawnSync("script", ["--version"]).status !== 0) {
    if (process.env.CI) assert.fail("util-linux `script` is needed for the terminal test");
    t.skip("util-linux `script` not found");
    return;
  }
  // One request in 40 fails with a 503 and is retried.
  const server = await startFakeOpenAI({
    latencyMs: 20,
    capacity: 4,
    respond: (body) => choosingAnswer(body),
    fault: (i) => (i % 40 === 5 ? { status: 503, message: "the model is overloaded" } : undefined),
  });
  const dir = mkdtempSync(join(tmpdir(), "atp-tty-"));
  try {
    const args = ["run", "roleplay", "--model", "openai:fake-model", "--base-url", server.url, "--concurrency", "4", "--db", join(dir, "runs.db")];
    // A wide terminal, so the line is not cut at the usual 80 columns before the last error.
    const command = `stty cols 200; ${[process.execPath, CLI, ...args].map(quote).join(" ")}`;
    // `script` runs the command on a pseudo-terminal and copies what it writes to its own stdout.
    const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const captures: { at: number; text: string }[] = [];
    child.stdout.on("data", (chunk: Buffer) => captures.push({ at: Date.now(), text: chunk.toString() }));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    const all = captures.map((c) => c.text).join("");
    assert.equal(code, 0, all);

    // Every redraw starts with a carriage return and clears the rest of the line.
    const line = /\r\[[#-]{24}\] (\d+)\/384 calls, [\d.]+ calls\/s[^\r]*?, ETA (--|\d+ s)[^\r]*?\x1b\[K/g;
    const draws = [...all.matchAll(line)];
    const counts = draws.map((m) => Number(m[1]));
    assert.ok(counts.length >= 5, `redraws: ${counts.join(" ")}`);
    counts.slice(1).forEach((n, i) => assert.ok(n >= counts[i], `the count never goes back: ${counts.join(" ")}`));
    assert.equal(counts.at(-1), 384);
    assert.ok(new Set(counts.filter((n) => n > 0 && n < 384)).size >= 3, `the count moves: ${counts.join(" ")}`);
    // An ETA in seconds once calls have finished.
    assert.ok(draws.some((m) => Number(m[1]) > 0 && Number(m[1]) < 384 && m[2] !== "--"), "an ETA while the run goes on");
    assert.match(all, /, \d+ retries[^\r]*\| last error: [^\r]*the model is overloaded/);

    // Captured at different moments, the bar shows more calls done each time.
    const seen = captures
      .map((c) => ({ at: c.at, max: Math.max(-1, ...[...c.text.matchAll(line)].map((m) => Number(m[1]))) }))
      .filter((c) => c.max > 0 && c.max < 384);
    assert.ok(seen.length >= 3, "the line is redrawn while the run goes on");
    assert.ok(seen.at(-1)!.max > seen[0].max && seen.at(-1)!.at > seen[0].at);

    assert.match(all, /384 calls this session \(0 from the cache, \d+ needed a retry, 0 failed/);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
