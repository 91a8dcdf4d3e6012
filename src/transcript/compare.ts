/**
 * Compares two transcripts episode by episode: messages, responses, choices, rewards, capitals
 * and outcome lines (tool loops: also tool calls; testbeds that score rounds in a `detail`:
 * that too). Numbers are equal within 1e-9 (the reference writes Python floats).
 */
import { findTestbed } from "../testbeds/registry.js";
import type { TranscriptEpisode } from "./types.js";

const TOLERANCE = 1e-9;

function sameNumber(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Math.abs(a - b) <= TOLERANCE;
}

/** Lists every difference, each naming the episode, round, agent and field; empty if none. */
export function diffTranscripts(expected: TranscriptEpisode[], actual: TranscriptEpisode[], limit = 20): string[] {
  const diffs: string[] = [];
  const add = (text: string) => {
    if (diffs.length < limit) diffs.push(text);
  };
  const key = (e: TranscriptEpisode) => `${e.episode}#${e.repeat ?? 0}`;
  const byKey = new Map(actual.map((e) => [key(e), e]));
  if (actual.length !== expected.length) add(`episode count: expected ${expected.length}, got ${actual.length}`);
  for (const exp of expected) {
    const act = byKey.get(key(exp));
    if (!act) {
      add(`${exp.episode}: missing`);
      continue;
    }
    if (act.rounds.length !== exp.rounds.length) add(`${exp.episode}: expected ${exp.rounds.length} rounds, got ${act.rounds.length}`);
    const testbed = findTestbed(exp.suite);
    const loop = testbed?.toolLoop;
    // Tool fields only exist in tool loops' episodes; comparing them there only keeps the other output as it was.
    const tools = (x: unknown) => JSON.stringify(x ?? null);
    exp.rounds.forEach((er, r) => {
      const ar = act.rounds[r];
      if (!ar) return;
      const at = `${exp.episode} ${loop?.roundName ?? "round"} ${er.round}`;
      if (testbed?.roundDetail && tools(ar.detail) !== tools(er.detail)) add(`${at}: detail\n  expected ${tools(er.detail)}\n  got      ${tools(ar.detail)}`);
      if (ar.outcome !== er.outcome) add(`${at}: outcome\n  expected ${JSON.stringify(er.outcome)}\n  got      ${JSON.stringify(ar.outcome)}`);
      if (er.supervision !== undefined && ar.supervision !== er.supervision) add(`${at}: supervision expected ${er.supervision}, got ${ar.supervision}`);
      if (ar.calls.length !== er.calls.length) add(`${at}: expected ${er.calls.length} calls, got ${ar.calls.length}`);
      er.calls.forEach((ec, i) => {
        const ac = ar.calls[i];
        if (!ac) return;
        const who = loop ? `${at} call ${i}` : `${at} agent ${ec.agent}`;
        if (ac.response !== ec.response) add(`${who}: response differs`);
        if (loop && tools(ac.tool_calls) !== tools(ec.tool_calls)) add(`${who}: tool calls differ`);
        if (ac.choice !== ec.choice) add(`${who}: choice expected ${JSON.stringify(ec.choice)}, got ${JSON.stringify(ac.choice)}`);
        if (!sameNumber(ac.reward, ec.reward)) add(`${who}: reward expected ${ec.reward}, got ${ac.reward}`);
        if (!sameNumber(ac.capital_before, ec.capital_before)) add(`${who}: capital_before expected ${ec.capital_before}, got ${ac.capital_before}`);
        if (!sameNumber(ac.capital_after, ec.capital_after)) add(`${who}: capital_after expected ${ec.capital_after}, got ${ac.capital_after}`);
        if (ac.messages.length !== ec.messages.length) add(`${who}: expected ${ec.messages.length} messages, got ${ac.messages.length}`);
        ec.messages.forEach((em, m) => {
          const am = ac.messages[m];
          if (am && (am.role !== em.role || am.content !== em.content)) {
            add(`${who}: message ${m} (${em.role})\n  expected ${JSON.stringify(em.content)}\n  got      ${JSON.stringify(am.content)}`);
          } else if (am && loop && (tools(am.tool_calls) !== tools(em.tool_calls) || am.tool_call_id !== em.tool_call_id)) {
            add(`${who}: message ${m} (${em.role}): tool calls or tool call id differ`);
          }
        });
      });
    });
  }
  return diffs;
}
