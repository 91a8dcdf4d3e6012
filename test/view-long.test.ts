/**
 * The viewer with very long answers (300 KB each, six rounds, each round's prompt carrying the
 * earlier answers): the episode page renders within seconds in Chromium, long texts folded, and
 * a folded text opens whole on demand.
 */
import { after, before, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { Agent, AgentCall } from "../src/agents/types.js";
import { defaultConfig } from "../src/run/config.js";
import { planRun } from "../src/run/execute.js";
import type { RoleplayPlan } from "../src/run/plan.js";
import { runPlan } from "../src/run/runner.js";
import { RunStore } from "../src/store/store.js";
import { startViewer, type Viewer } from "../src/view/server.js";

const CHROMIUM = process.env.ATP_CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
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
    if (!("options" in call)) throw new Error("role-play only");
    const lines: string[] = [];
    for (let i = 0, chars = 0; chars < ANSWER_CHARS; i++) {
      lines.push(`Round ${call.round + 1}, thought ${i}: weighing the supervisor's rule against the bonus once more.`);
      chars += lines[i].length + 1;
    }
    return { text: `${lines.join("\n")}\n{"choice": "${call.options.aligned}"}\n${ENDING}`, attempts: 1 };
  },
};

before(async () => {
  const plans = (planRun({ ...defaultConfig("roleplay"), db }, []) as RoleplayPlan[]).slice(0, 1);
  const store = RunStore.open(db);
  try {
    store.createRun({ id: "long", suite: "roleplay", model: longAgent.id, seed: 1, parity: "default", config: { note: "long answers" }, versions: {}, plans });
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

function chromiumOrSkip(t: TestContext): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `Chromium not found at ${CHROMIUM}; install it (apt-get install chromium) or set ATP_CHROMIUM`;
  if (process.env.CI === "true") throw new Error(message);
  t.skip(message);
  return false;
}

test("an episode of 300 KB answers renders in seconds, long texts folded and opened on demand", async (t) => {
  if (!chromiumOrSkip(t)) return;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
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
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
