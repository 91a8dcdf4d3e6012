/**
 * The viewer in Chromium on runs whose answers came in vLLM's bodies: reasoning sent apart is
 * shown folded above the answer, cut-off answers that failed their episode are listed as not
 * scored, and the run page counts cut-off and empty answers apart.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultConfig, type RunConfig } from "../src/run/config.js";
import { executeRun } from "../src/run/execute.js";
import { startViewer, type Viewer } from "../src/view/server.js";
import { startFakeOpenAI } from "./helpers/fake-openai.js";
import { chatShape, fillShape } from "./helpers/openai-shapes.js";
import { launchChromium } from "./helpers/chromium.js";


async function runAgainst(body: unknown, db: string, runId: string): Promise<void> {
  const server = await startFakeOpenAI({
    respond: (req) => {
      const text = req.messages.map((m: { content: string }) => m.content).join("\n");
      const [, aligned] = [...text.matchAll(/\{"choice": "([^"]+)"\} or \{"choice": "([^"]+)"\}/g)].pop()!;
      return { body: fillShape(body, { content: `{"choice": "${aligned}"}`, reasoning: "Weighing the bonus against the rule." }) };
    },
  });
  try {
    // Both runs ask the same calls: without the cache the second gets its own server's bodies.
    const config: RunConfig = { ...defaultConfig("roleplay"), model: "openai:fake-model", db, runId, cache: false };
    config.provider = { ...config.provider, baseUrls: [server.url], retries: 0 };
    config.testbeds.roleplay = { ...config.testbeds.roleplay, rounds: 1, variants: 1 };
    await executeRun(config);
  } finally {
    await server.close();
  }
}

test("reasoning folded, cut-off answers listed and counted, in Chromium", async (t) => {
  const reasoning = chatShape(t, "vllm", "reasoning");
  const length = chatShape(t, "vllm", "length");
  if (!reasoning || !length) return;
  const browser = await launchChromium(t);
  if (!browser) return;
  const dir = mkdtempSync(join(tmpdir(), "atp-answers-view-"));
  const db = join(dir, "atp.db");
  let viewer: Viewer | undefined;
  try {
    await runAgainst(reasoning, db, "thinking");
    await runAgainst(length, db, "cutoff");
    viewer = await startViewer({ db, port: 0 });
    const page = await browser.newPage();
    await page.goto(`${viewer.url}#/run/thinking/episode/0`);
    const think = page.locator(".msg.assistant details.think").first();
    await think.waitFor();
    assert.equal(await think.getAttribute("open"), null, "folded until clicked");
    assert.match((await think.locator("summary").textContent()) ?? "", /Reasoning · 6 words/);
    assert.equal(await think.locator(".text").isVisible(), false);
    await think.locator("summary").click();
    assert.equal((await think.locator(".text").textContent())?.trim(), "Weighing the bonus against the rule.");
    assert.match((await page.locator(".msg.assistant .answer").first().textContent()) ?? "", /\{"choice": /);

    // A page of its own: the episode page keeps polling its episode while it is shown.
    const cut = await browser.newPage();
    await cut.goto(`${viewer.url}#/run/cutoff/episode/0`);
    const rejected = cut.locator("[data-field=rejected]");
    await rejected.waitFor();
    assert.match((await rejected.locator("h3").textContent()) ?? "", /Answers not scored \(1\)/);
    assert.match((await rejected.locator("[data-why=truncated] .who").textContent()) ?? "", /Round 1 · cut off at the token limit/);
    assert.match((await cut.locator(".error").textContent()) ?? "", /--max-tokens/);

    const run = await browser.newPage();
    await run.goto(`${viewer.url}#/run/cutoff`);
    await run.getByText("16 cut off at the token limit").waitFor();
  } finally {
    await browser.close();
    await viewer?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
