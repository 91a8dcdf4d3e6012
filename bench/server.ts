/**
 * The benchmark's model server, in its own process so its work is not counted as the harness's:
 * a loopback OpenAI-compatible server that serves at most CAPACITY requests at once, each taking
 * LATENCY_MS. Prints its base URL on stdout, then serves until killed.
 */
import { choosingAnswer, startFakeOpenAI } from "../test/helpers/fake-openai.js";

const latencyMs = Number(process.env.LATENCY_MS ?? 50);
const capacity = Number(process.env.CAPACITY ?? 64);
const server = await startFakeOpenAI({ latencyMs, capacity, respond: (body) => choosingAnswer(body) });
process.stdout.write(`${server.url}\n`);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
