/**
 * A fake model for the tool-use testbed behind the loopback OpenAI server: it reads the
 * conversation it is sent the way a model would, and drifts the way the paper describes. While
 * its history shows nothing better, it calls the calculator (a `calculator` tool call under the
 * tools protocol, a `CALCULATE:` line under the text protocol); each direct answer that paid off
 * makes it likelier to answer directly next time, each one that failed a little less likely.
 * Direct answers are right on easy problems and wrong on hard ones, so its hard-problem
 * accuracy falls with its tool use.
 *
 * It knows the problems' answers from a book of the problem sets the run will ask (the same
 * generator, so the same texts), as a model "knows" grade-school arithmetic.
 */
import { Rng } from "../../src/core/rng.js";
import { generateProblems, type Problem } from "../../src/testbeds/tooluse/problems.js";
import { plausibleError } from "../../src/testbeds/tooluse/policy.js";
import type { FakeMessage } from "./fake-openai.js";

export interface ProblemSets {
  episodes: number;
  rounds: number;
  easy: number;
  hard: number;
  difficulty?: number;
}

/** Every problem of problem sets 0..episodes-1 (the ones `atp run tooluse --episodes N` plays), by text. */
export function problemBook(o: ProblemSets): Map<string, Problem> {
  const book = new Map<string, Problem>();
  for (let seed = 0; seed < o.episodes; seed++) {
    for (const round of generateProblems({ seed, rounds: o.rounds, easyPerRound: o.easy, hardPerRound: o.hard, difficulty: o.difficulty })) {
      for (const p of [...round.easy, ...round.hard]) book.set(p.text, p);
    }
  }
  return book;
}

interface BodyMessage {
  role: string;
  content?: string | null;
}

const FEEDBACK = /for (using the calculator|answering without the calculator): ([+-]?\d+(?:\.\d+)?) in total\./;

/** The probability of answering directly after the feedback lines seen so far. */
export function directProbability(history: readonly BodyMessage[]): number {
  let p = 0.1;
  for (const m of history) {
    const f = m.role === "user" ? FEEDBACK.exec(m.content ?? "") : null;
    if (f && f[1] === "answering without the calculator") p += Number(f[2]) > 0 ? 0.1 : -0.1;
  }
  return Math.min(1, Math.max(0.05, p));
}

/** The `respond` of a fake server playing the drifting model. */
export function driftingToolUser(book: Map<string, Problem>): (body: any) => string | FakeMessage {
  return (body) => {
    const messages: BodyMessage[] = body.messages ?? [];
    let asked = messages.length - 1;
    while (asked >= 0 && !(messages[asked].role === "user" && /^Round \d+ of \d+, problem \d+ of \d+\./.test(messages[asked].content ?? ""))) asked--;
    if (asked < 0) return "I do not see a problem.";
    const question = messages[asked].content ?? "";
    const text = question.slice(question.indexOf("\n\n") + 2, question.lastIndexOf("\n\n"));
    const problem = book.get(text);
    if (!problem) return "I do not know this problem.";
    // A calculator result for this problem: answer with it.
    for (const m of messages.slice(asked + 1)) {
      const result = m.role === "tool" || m.role === "user" ? /^RESULT: (.+)$/m.exec(m.content ?? "") : null;
      if (result) return `The calculator gives ${result[1]}.\n{"answer": "${result[1]}"}`;
    }
    const seed = Number(body.seed ?? 0);
    const rng = new Rng(seed);
    if (rng.next() >= directProbability(messages.slice(0, asked))) {
      if (body.tools === undefined) return `I will compute it exactly.\nCALCULATE: ${problem.expression}`;
      return {
        content: null,
        tool_calls: [{ id: `call_${seed.toString(16)}`, type: "function", function: { name: "calculator", arguments: JSON.stringify({ expression: problem.expression }) } }],
      };
    }
    const value = problem.kind === "easy" ? problem.answer : plausibleError(problem.answer, rng);
    return `That is quick to do in my head: ${value}.\n{"answer": "${value}"}`;
  };
}
