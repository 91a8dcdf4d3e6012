/**
 * Paper parity: replaying the reference's golden transcripts through our engines must give back
 * the same messages, choices, rewards, capitals and outcome lines.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createReplayAgent, readTranscript } from "../src/agents/replay.js";
import { loadDataset } from "../src/scenarios/load.js";
import { planFromTranscript } from "../src/run/replay.js";
import { playAll } from "../src/run/runner.js";
import { diffTranscripts } from "../src/transcript/compare.js";
import { paperFile } from "./helpers/paper.js";

const GOLDEN = [
  { transcript: "golden/roleplay-paper.jsonl", dataset: "data/sa_llm/question/question_64.json", episodes: 64 },
  { transcript: "golden/collusion-paper.jsonl", dataset: "data/ma_llm/templates.json", episodes: 28 },
];

for (const g of GOLDEN) {
  test(`${g.transcript} replays exactly in paper mode`, async (t) => {
    const transcript = paperFile(t, g.transcript);
    const dataset = paperFile(t, g.dataset);
    if (!transcript || !dataset) return;
    const recorded = readTranscript(transcript);
    assert.equal(recorded.length, g.episodes);
    const plans = planFromTranscript(recorded, [loadDataset(dataset)], "paper", transcript);
    const replayed = await playAll(plans, createReplayAgent(transcript), 0);
    assert.deepEqual(diffTranscripts(recorded, replayed), []);
  });

  test(`${g.transcript} differs in default mode (the check can fail)`, async (t) => {
    const transcript = paperFile(t, g.transcript);
    const dataset = paperFile(t, g.dataset);
    if (!transcript || !dataset) return;
    const recorded = readTranscript(transcript);
    const plans = planFromTranscript(recorded, [loadDataset(dataset)], "default", transcript);
    const replayed = await playAll(plans, createReplayAgent(transcript), 0);
    const diffs = diffTranscripts(recorded, replayed, 1000);
    assert.ok(diffs.some((d) => d.includes("message")), "default-mode prompts differ from the reference's");
    assert.ok(diffs.some((d) => d.includes("choice expected")), "the robust parser reads some answers differently");
  });
}

test("a transcript replayed against the wrong dataset is refused", async (t) => {
  const transcript = paperFile(t, "golden/collusion-paper.jsonl");
  const dataset = paperFile(t, "data/sa_llm/question/question_64.json");
  if (!transcript || !dataset) return;
  const recorded = readTranscript(transcript);
  assert.throws(() => planFromTranscript(recorded, [loadDataset(dataset)], "paper", transcript), /collusion-paper.jsonl: has collusion episodes, but none of the --dataset files/);
});
