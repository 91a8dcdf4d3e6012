/**
 * The viewer with very long answers (300 KB each, six rounds, each round's prompt carrying the
 * earlier answers): the episode page renders within seconds in Chromium, long texts folded, and
 * a folded text opens whole on demand.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Agent, AgentCall } from "../src/agents/types.js";
import { defaultConfig } from "../src/run/config.js";
import { planAll } from "../src/run/execute.js";
import type { CollusionPlan } from "../src/testbeds/collusion/plan.js";
import type { EpisodePlan } from "../src/testbeds/registry.js";
import type { RoleplayPlan } from "../src/testbeds/roleplay/plan.js";
import { runPlan } from "../src/run/runner.js";
import { RunStore } from "../src/store/store.js";
import { startViewer, type Viewer } from "../src/view/server.js";
import { launchChromium } from "./helpers/chromium.js";

const ANSWER_CHARS = 300_000;
/** The answer's last words: shown only once the whole text is opened. */
const ENDING = "THE-END-OF-A-LONG-ANSWER";

const root = mkdtempSync(join(tmpdir(), "atp-view-long-"));
const db = join(root, "atp.db");
let viewer: Viewer;

/** Writes 300 KB of varied lines, then the choice, then a marker at the very end. */
const longAgent: Agent = {
  id: "test:long",
  async respond(call: AgentCall) {
    if (call.options === undefined) throw new Error("choice testbeds only");
    const lines: string[] = [];
    for (let i = 0, chars = 0; chars < ANSWER_CHARS; i++) {
      lines.push(`Round ${call.round + 1}, thought ${i}: weighing the supervisor's rule against the bonus once more.`);
      chars += lines[i].length + 1;
    }
    return { text: `${lines.join("\n")}\n{"choice": "${call.options.aligned}"}\n${ENDING}`, attempts: 1 };
  },
};

before(async () => {
  const all = planAll({ ...defaultConfig("paper"), db }, []);
  // One role-play episode (index 0) and one 8-agent game with every agent's whole answer shown to its peers (index 1).
  const game = all.find((p): p is CollusionPlan => p.suite === "collusion")!;
  const plans: EpisodePlan[] = [all.find((p): p is RoleplayPlan => p.suite === "roleplay")!, { ...game, settings: { ...game.settings, peers: "full" } }];
  const store = RunStore.open(db);
  try {
    store.createRun({ id: "long", suite: "paper", model: longAgent.id, seed: 1, parity: "default", config: { note: "long answers" }, versions: {}, plans });
    await runPlan(plans, longAgent, { seed: 1, store: { store, runId: "long" } });
    store.setRunStatus("long", "done");
  } finally {
    store.close();
  }
  viewer = await startViewer({ db, port: 0 });
});

after(async () => {
  await viewer?.close();
  rmSync(root, { recursive: true, force: true });
});

test("an episode of 300 KB answers renders in seconds, long texts folded and opened on demand", async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const started = Date.now();
    await page.goto(`${viewer.url}#/run/long/episode/0`);
    const rounds = page.locator("section.round");
    await rounds.nth(5).waitFor({ timeout: 60_000 });
    // Layout and a painted frame, not only the DOM: long unbroken text costs most in layout.
    await page.evaluate(() => new Promise((resolve) => (globalThis as any).requestAnimationFrame(() => resolve((globalThis as any).document.body.scrollHeight))));
    await page.screenshot();
    const renderMs = Date.now() - started;
    t.diagnostic(`episode page with 6 answers of ${ANSWER_CHARS / 1000} KB rendered in ${renderMs} ms`);
    assert.ok(renderMs < 10_000, `rendered in ${renderMs} ms`);

    // The page holds a short preview of each long text, not megabytes of prompt history.
    const pageChars = await page.evaluate(() => ((globalThis as any).document.body.textContent as string).length);
    assert.ok(pageChars < 200_000, `the page holds ${pageChars} characters`);
    const first = rounds.first().locator(".msg.assistant .answer");
    const preview = (await first.textContent()) ?? "";
    assert.ok(preview.length < 5_000, `preview of ${preview.length} characters`);
    assert.ok(!preview.includes(ENDING));
    assert.match(preview, /Round 1, thought 0: /);

    // Opening it shows the whole answer.
    await first.locator("button[data-action=show-all]").click();
    const whole = (await first.textContent()) ?? "";
    assert.ok(whole.includes(ENDING), "the whole answer once opened");
    assert.ok(whole.length > ANSWER_CHARS, `${whole.length} characters`);

    // A game: 8 agents side by side, each prompt carrying the others' whole answers.
    const gameStarted = Date.now();
    await page.goto(`${viewer.url}#/run/long/episode/1`);
    await page.locator("section.round").nth(2).locator(".agent").nth(7).waitFor({ timeout: 60_000 });
    await page.screenshot();
    const gameMs = Date.now() - gameStarted;
    t.diagnostic(`game page with 8 agents x 3 rounds of ${ANSWER_CHARS / 1000} KB answers rendered in ${gameMs} ms`);
    assert.ok(gameMs < 10_000, `rendered in ${gameMs} ms`);
    const gameChars = await page.evaluate(() => ((globalThis as any).document.body.textContent as string).length);
    assert.ok(gameChars < 500_000, `the game page holds ${gameChars} characters`);
    assert.ok((await page.locator("button[data-action=show-all]").count()) >= 24, "every agent's answer is folded");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
