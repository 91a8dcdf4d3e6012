/**
 * The OpenAI-compatible provider under the tool-use testbed's tools protocol, against the
 * loopback server: tools are offered only when a call carries them, tool turns of the history
 * go out with their ids, tool calls come back (evened out where servers differ), and a reply
 * whose tool calls cannot be read is retried like any malformed completion.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createAgent } from "../src/agents/registry.js";
import type { Agent, ChoiceCall } from "../src/agents/types.js";
import type { ToolUseCall } from "../src/testbeds/tooluse/engine.js";
import { CallError } from "../src/providers/errors.js";
import type { ProviderOptions } from "../src/providers/types.js";
import { CALCULATOR_TOOL } from "../src/testbeds/tooluse/protocol.js";
import { startFakeOpenAI, type FakeOpenAIOptions } from "./helpers/fake-openai.js";

process.env.OPENAI_API_KEY = "sk-atp-test-tools";
const FAST: Partial<ProviderOptions> = { backoffBaseMs: 5, backoffCapMs: 20, timeoutMs: 5000, retries: 2 };

const TOOL_CALL = { id: "call_7", type: "function", function: { name: "calculator", arguments: '{"expression":"2+3"}' } } as const;

function toolCall(over: Partial<ToolUseCall> = {}): ToolUseCall {
  return {
    suite: "tooluse",
    episode: "tooluse/0",
    round: 0,
    problem: 0,
    turn: 1,
    agent: 0,
    repeat: 0,
    seed: 11,
    messages: [
      { role: "system", content: "Solve problems; a calculator is there." },
      { role: "user", content: "What is 2+3?" },
      { role: "assistant", content: "", tool_calls: [{ ...TOOL_CALL, function: { ...TOOL_CALL.function } }] },
      { role: "tool", tool_call_id: "call_7", content: "RESULT: 5" },
    ],
    tools: [CALCULATOR_TOOL],
    seen: [],
    ...over,
  };
}

const choiceCall: ChoiceCall = {
  suite: "roleplay",
  episode: "roleplay/0",
  round: 0,
  agent: 0,
  repeat: 0,
  seed: 3,
  messages: [{ role: "user", content: "Pick one." }],
  options: { aligned: "A", deviant: "B" },
  seen: [],
};

async function withServer(options: FakeOpenAIOptions, fn: (agent: Agent, requests: () => any[]) => Promise<void>): Promise<void> {
  const server = await startFakeOpenAI(options);
  const agent = await createAgent("openai:fake-model", { ...FAST, baseUrls: [server.url] });
  try {
    await fn(agent, () => server.requests.map((r) => r.body));
  } finally {
    await agent.close?.();
    await server.close();
  }
}

test("a tool-use call offers its tools with tool_choice auto and sends tool turns with their ids", () =>
  withServer({ respond: () => '{"answer": "5"}' }, async (agent, requests) => {
    const reply = await agent.respond(toolCall());
    assert.equal(reply.text, '{"answer": "5"}');
    assert.equal(reply.toolCalls, undefined, "a plain answer has no tool calls");
    const [body] = requests();
    assert.deepEqual(body.tools, [CALCULATOR_TOOL]);
    assert.equal(body.tool_choice, "auto");
    assert.deepEqual(body.messages, toolCall().messages, "assistant tool_calls and tool_call_id pass through unchanged");
    assert.equal(body.seed, 11);
  }));

test("calls without tools send no tool fields: text-protocol tool use and the choice testbeds", () =>
  withServer({}, async (agent, requests) => {
    await agent.respond(toolCall({ tools: undefined, messages: [{ role: "user", content: "What is 2+3?" }] }));
    await agent.respond(choiceCall);
    for (const body of requests()) {
      assert.ok(!("tools" in body) && !("tool_choice" in body), JSON.stringify(body));
      for (const m of body.messages) assert.deepEqual(Object.keys(m).sort(), ["content", "role"]);
    }
  }));

test("tool calls in the completion come back as the reply's toolCalls, content null as empty text", () =>
  withServer({ respond: () => ({ content: null, tool_calls: [TOOL_CALL, { ...TOOL_CALL, id: "call_8" }] }) }, async (agent) => {
    const reply = await agent.respond(toolCall());
    assert.equal(reply.text, "");
    assert.deepEqual(reply.toolCalls, [TOOL_CALL, { ...TOOL_CALL, id: "call_8" }]);
    assert.equal(reply.attempts, 1);
  }));

test("tool calls as servers get them slightly wrong are evened out", () =>
  withServer(
    {
      respond: () => ({
        content: "Let me compute.",
        // No id and no type (some servers), arguments as an object instead of JSON text.
        tool_calls: [{ function: { name: "calculator", arguments: { expression: "6*7" } } }],
      }),
    },
    async (agent) => {
      const reply = await agent.respond(toolCall());
      assert.equal(reply.text, "Let me compute.");
      assert.deepEqual(reply.toolCalls, [{ id: "call_0", type: "function", function: { name: "calculator", arguments: '{"expression":"6*7"}' } }]);
    },
  ));

test("tool calls that cannot be read are a malformed completion: retried, then the call fails", async () => {
  let served = 0;
  const broken = { content: null, tool_calls: [{ id: "x", type: "function", function: { arguments: "{}" } }] };
  // The first answer is broken, the retry is fine.
  await withServer({ respond: () => (served++ === 0 ? broken : '{"answer": "5"}') }, async (agent) => {
    const reply = await agent.respond(toolCall());
    assert.equal(reply.text, '{"answer": "5"}');
    assert.equal(reply.attempts, 2);
  });
  await withServer({ respond: () => broken }, async (agent) => {
    await assert.rejects(agent.respond(toolCall()), (err: unknown) => err instanceof CallError && /no function name/.test(err.message));
  });
});
