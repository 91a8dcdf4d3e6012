import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "../src/core/errors.js";
import {
  DEFAULT_PAPER_BASE_URL,
  FetchError,
  PAPER_COMMIT,
  PAPER_FILES,
  defaultCacheDir,
  fetchPaperData,
  paperBaseUrl,
  paperCacheDir,
  resolvePaperPath,
} from "../src/scenarios/fetch.js";
import { loadDataset } from "../src/scenarios/load.js";
import { paperDir, paperFile } from "./helpers/paper.js";

const tmp = mkdtempSync(join(tmpdir(), "atp-fetch-"));
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));
let cacheCount = 0;
const freshCache = () => join(tmp, `cache-${++cacheCount}`);

interface Loopback {
  baseUrl: string;
  requests: string[];
  close: () => Promise<void>;
}

/**
 * Serves the paper copy as if it were the repository root at PAPER_COMMIT; `tamper` may
 * replace the status or body of a path.
 */
async function serve(tamper: (path: string, body: Buffer) => { status?: number; body?: Buffer } = () => ({})): Promise<Loopback> {
  const root = paperDir();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\//, "");
    requests.push(path);
    const file = join(root, path);
    if (path.includes("..") || !existsSync(file)) {
      res.writeHead(404).end("404: Not Found");
      return;
    }
    const original = readFileSync(file);
    const out = tamper(path, original);
    const body = out.body ?? original;
    res.writeHead(out.status ?? 200, { "content-type": "text/plain" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Every file under a directory, relative; used to show nothing half-written is left. */
function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath ?? d.path, d.name).slice(dir.length + 1))
    .sort();
}

function assertFetchError(err: unknown, ...patterns: RegExp[]): true {
  assert.ok(err instanceof FetchError, `expected FetchError, got ${String(err)}`);
  for (const p of patterns) assert.match(err.message, p);
  return true;
}

test("the manifest matches the paper copy", (t) => {
  assert.equal(PAPER_FILES.length, 6);
  for (const f of PAPER_FILES) {
    const file = paperFile(t, f.path);
    if (!file) return;
    assert.equal(sha256(readFileSync(file)), f.sha256, f.path);
  }
  assert.equal(DEFAULT_PAPER_BASE_URL, `https://raw.githubusercontent.com/aiming-lab/ATP/${PAPER_COMMIT}/`);
});

test("fetches all six files, then serves them from the cache without requests", async (t) => {
  if (!paperFile(t, PAPER_FILES[0].path)) return;
  const server = await serve();
  t.after(server.close);
  const cacheDir = freshCache();
  const events: string[] = [];
  const first = await fetchPaperData({ cacheDir, baseUrl: server.baseUrl, onProgress: (e) => events.push(`${e.status} ${e.path}`) });
  assert.equal(first.dir, join(cacheDir, "paper", PAPER_COMMIT));
  assert.deepEqual(
    first.files,
    PAPER_FILES.map((f) => ({ path: f.path, status: "downloaded" })),
  );
  assert.deepEqual(server.requests, PAPER_FILES.map((f) => f.path));
  for (const f of PAPER_FILES) {
    assert.equal(sha256(readFileSync(join(first.dir, f.path))), f.sha256, f.path);
  }
  assert.deepEqual(listFiles(first.dir), PAPER_FILES.map((f) => f.path).sort());
  assert.equal(events.filter((e) => e.startsWith("downloaded")).length, 6);

  const second = await fetchPaperData({ cacheDir, baseUrl: server.baseUrl });
  assert.deepEqual(
    second.files.map((f) => f.status),
    Array(6).fill("cached"),
  );
  assert.equal(server.requests.length, 6, "the second run made no requests");

  const forced = await fetchPaperData({ cacheDir, baseUrl: server.baseUrl, force: true });
  assert.deepEqual(
    forced.files.map((f) => f.status),
    Array(6).fill("downloaded"),
  );
  assert.equal(server.requests.length, 12);

  // The cached files resolve by path and alias, and load.
  const test64 = resolvePaperPath("paper:roleplay-test", cacheDir);
  assert.equal(test64, join(first.dir, "data/sa_llm/question/question_64.json"));
  assert.equal(resolvePaperPath("paper:sa_llm/question/question_64.json", cacheDir), test64);
  assert.equal(resolvePaperPath("paper:data/sa_llm/question/question_64.json", cacheDir), test64);
  const ds = loadDataset(test64);
  assert.equal(ds.kind, "roleplay-items");
  assert.equal(loadDataset(resolvePaperPath("paper:games", cacheDir)).kind, "game-templates");
  assert.equal(loadDataset(resolvePaperPath("paper:games-350", cacheDir)).kind, "game-items");
  assert.equal(loadDataset(resolvePaperPath("paper:roleplay-train", cacheDir)).kind, "roleplay-items");
  assert.equal(loadDataset(resolvePaperPath("paper:roleplay-templates", cacheDir)).kind, "roleplay-templates");
  assert.equal(loadDataset(resolvePaperPath("paper:games-70", cacheDir)).kind, "game-items");
});

test("a damaged cached file is downloaded again", async (t) => {
  if (!paperFile(t, PAPER_FILES[0].path)) return;
  const server = await serve();
  t.after(server.close);
  const cacheDir = freshCache();
  await fetchPaperData({ cacheDir, baseUrl: server.baseUrl });
  const damaged = join(paperCacheDir(cacheDir), PAPER_FILES[2].path);
  writeFileSync(damaged, "[]");
  assert.throws(() => resolvePaperPath("paper:roleplay-train", cacheDir), (e: unknown) => e instanceof InputError && /damaged/.test(e.message));
  const again = await fetchPaperData({ cacheDir, baseUrl: server.baseUrl });
  assert.deepEqual(
    again.files.map((f) => f.status),
    ["cached", "cached", "downloaded", "cached", "cached", "cached"],
  );
  assert.equal(sha256(readFileSync(damaged)), PAPER_FILES[2].sha256);
});

test("a corrupted download is a FetchError naming the file, and nothing is left behind", async (t) => {
  if (!paperFile(t, PAPER_FILES[0].path)) return;
  const bad = "data/ma_llm/templates.json";
  const server = await serve((path, body) => (path === bad ? { body: Buffer.concat([body, Buffer.from(" ")]) } : {}));
  t.after(server.close);
  const cacheDir = freshCache();
  const expected = PAPER_FILES.find((f) => f.path === bad)!.sha256;
  await assert.rejects(fetchPaperData({ cacheDir, baseUrl: server.baseUrl }), (err) =>
    assertFetchError(err, new RegExp(`^${bad.replace(/\./g, "\\.")}: checksum mismatch`), new RegExp(`expected sha256 ${expected}, got [0-9a-f]{64}`)),
  );
  const dir = paperCacheDir(cacheDir);
  assert.equal(existsSync(join(dir, bad)), false);
  // Files before it were kept; no temp files anywhere.
  assert.deepEqual(listFiles(dir), PAPER_FILES.slice(0, 3).map((f) => f.path).sort());
});

test("an HTTP error is a FetchError with the URL and status", async (t) => {
  if (!paperFile(t, PAPER_FILES[0].path)) return;
  const server = await serve((path) => (path.endsWith("question_64.json") ? { status: 404, body: Buffer.from("404: Not Found") } : {}));
  t.after(server.close);
  const cacheDir = freshCache();
  await assert.rejects(fetchPaperData({ cacheDir, baseUrl: server.baseUrl }), (err) => {
    assertFetchError(err, /question_64\.json/, /answered HTTP 404/, new RegExp(server.baseUrl.replace(/[./]/g, "\\$&")));
    assert.equal((err as FetchError).status, 404);
    return true;
  });
  assert.equal(existsSync(join(paperCacheDir(cacheDir), "data/sa_llm/question/question_64.json")), false);
});

test("a base URL without a trailing slash still resolves beneath it", async (t) => {
  if (!paperFile(t, PAPER_FILES[0].path)) return;
  // Serve the copy under /mirror/ so a dropped last segment would miss.
  const root = paperDir();
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? "");
    const m = /^\/mirror\/(.*)$/.exec(req.url ?? "");
    const file = m ? join(root, m[1]) : "";
    if (!m || !existsSync(file)) return void res.writeHead(404).end();
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const result = await fetchPaperData({ cacheDir: freshCache(), baseUrl: `http://127.0.0.1:${port}/mirror` });
  assert.equal(result.files.length, 6);
  assert.ok(requests.every((r) => r.startsWith("/mirror/data/")));
});

test("a local directory works as the base (a clone of the repository)", async (t) => {
  if (!paperFile(t, PAPER_FILES[0].path)) return;
  const result = await fetchPaperData({ cacheDir: freshCache(), baseUrl: paperDir() });
  assert.deepEqual(
    result.files.map((f) => f.status),
    Array(6).fill("downloaded"),
  );
});

test("an unreachable host is a FetchError that suggests --dataset", async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const cacheDir = freshCache();
  const started = Date.now();
  await assert.rejects(fetchPaperData({ cacheDir, baseUrl: `http://127.0.0.1:${port}/`, timeoutMs: 5000 }), (err) =>
    assertFetchError(err, new RegExp(`^could not reach http://127\\.0\\.0\\.1:${port}/data/`), /needs network access to GitHub/, /--dataset FILE/, /--base-url/),
  );
  assert.ok(Date.now() - started < 5000);
  assert.deepEqual(listFiles(cacheDir), []);
  t.diagnostic("closed port refused the connection as expected");
});

test("a server that never answers times out with a FetchError", async (t) => {
  // Accepts the connection but never responds.
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  await assert.rejects(fetchPaperData({ cacheDir: freshCache(), baseUrl: `http://127.0.0.1:${port}/`, timeoutMs: 200 }), (err) =>
    assertFetchError(err, /^could not reach .* \(no answer within/, /--dataset FILE/),
  );
});

test("resolvePaperPath explains how to fetch, and rejects unknown names", () => {
  const cacheDir = freshCache();
  assert.throws(
    () => resolvePaperPath("paper:roleplay-test", cacheDir),
    (e: unknown) => e instanceof InputError && /not fetched yet/.test(e.message) && /atp data fetch paper/.test(e.message),
  );
  assert.throws(
    () => resolvePaperPath("paper:nonsense", cacheDir),
    (e: unknown) => e instanceof InputError && /^paper:nonsense: no such paper data file; use one of paper:roleplay-test/.test(e.message),
  );
});

test("cache dir and base URL follow the environment", () => {
  assert.equal(defaultCacheDir({ ATP_CACHE_DIR: "/c/atp", XDG_CACHE_HOME: "/x" }), "/c/atp");
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: "/x" }), join("/x", "atp-testbed"));
  assert.match(defaultCacheDir({ XDG_CACHE_HOME: "relative" }), /\.cache[/\\]atp-testbed$/);
  assert.match(defaultCacheDir({}), /\.cache[/\\]atp-testbed$/);
  assert.equal(paperBaseUrl({}), DEFAULT_PAPER_BASE_URL);
  assert.equal(paperBaseUrl({ ATP_PAPER_BASE_URL: "http://mirror/" }), "http://mirror/");
});

test("ATP_PAPER_BASE_URL is used when no base URL is given", async (t) => {
  if (!paperFile(t, PAPER_FILES[0].path)) return;
  const server = await serve();
  t.after(server.close);
  const saved = process.env.ATP_PAPER_BASE_URL;
  process.env.ATP_PAPER_BASE_URL = server.baseUrl;
  t.after(() => {
    if (saved === undefined) delete process.env.ATP_PAPER_BASE_URL;
    else process.env.ATP_PAPER_BASE_URL = saved;
  });
  const result = await fetchPaperData({ cacheDir: freshCache() });
  assert.equal(result.files.length, 6);
  assert.equal(server.requests.length, 6);
});
