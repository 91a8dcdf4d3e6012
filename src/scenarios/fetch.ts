/**
 * `atp data fetch paper`: downloads the paper's scenario files from the ATP repository at a
 * pinned commit, checks them against known checksums and keeps them in a local cache, so the
 * project can run the paper's scenarios without shipping the paper's data.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { InputError } from "../core/errors.js";

export const PAPER_REPO = "aiming-lab/ATP";
export const PAPER_COMMIT = "84c5bec20413313bdbf4fcdcf192c10edec4074b";
export const DEFAULT_PAPER_BASE_URL = `https://raw.githubusercontent.com/${PAPER_REPO}/${PAPER_COMMIT}/`;

export interface PaperFile {
  /** Path inside the ATP repository (and inside the cache directory for the commit). */
  path: string;
  sha256: string;
}

/** The paper's data files at PAPER_COMMIT, with their checksums. */
export const PAPER_FILES: readonly PaperFile[] = [
  { path: "data/sa_llm/templates.json", sha256: "4fa691a4390c2bbcc8e15598c3a301d770096cc3e4a5ecf5124ec0e4b9a9ae49" },
  { path: "data/sa_llm/question/question_64.json", sha256: "e0aaac95a07f366999d7036b461f01fafcb61b31fe917a5162bcec0854560b09" },
  { path: "data/sa_llm/question/question_160.json", sha256: "21de4a7cafaadec267b2912d9721ec3c5962b96dee9060529e5d007bf54c8c48" },
  { path: "data/ma_llm/templates.json", sha256: "0ed32131a83a3378767077050859ac88aa03234ae12bbd2d66a20e864891dd51" },
  { path: "data/ma_llm/question/question_70.json", sha256: "0efce52464a6c19ca0c7625d8a48c545a56a40f6efa464a439ee4cc2ff5a099e" },
  { path: "data/ma_llm/question/question_350.json", sha256: "31b3d81995ebd7808042bcc6cb1e1c8984972944a840020a3047e2636beaed53" },
];

/** Short names for `paper:<name>`, mapped to paths relative to the repository's data/ folder. */
export const PAPER_ALIASES: Readonly<Record<string, string>> = {
  "roleplay-test": "sa_llm/question/question_64.json",
  "roleplay-train": "sa_llm/question/question_160.json",
  "roleplay-templates": "sa_llm/templates.json",
  games: "ma_llm/templates.json",
  "games-70": "ma_llm/question/question_70.json",
  "games-350": "ma_llm/question/question_350.json",
};

const PAPER_PREFIX = "paper:";
const DEFAULT_TIMEOUT_MS = 30_000;

/** A download that failed: host unreachable, HTTP error, timeout, bad checksum, unwritable cache. */
export class FetchError extends Error {
  readonly url?: string;
  /** The paper file concerned (a PAPER_FILES path). */
  readonly path?: string;
  /** HTTP status, when the server answered with an error. */
  readonly status?: number;

  constructor(message: string, details: { url?: string; path?: string; status?: number } = {}) {
    super(message);
    this.name = "FetchError";
    this.url = details.url;
    this.path = details.path;
    this.status = details.status;
  }
}

/** `$ATP_CACHE_DIR`, else `$XDG_CACHE_HOME/atp-testbed`, else `~/.cache/atp-testbed`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ATP_CACHE_DIR) return env.ATP_CACHE_DIR;
  // The XDG spec says to ignore a relative XDG_CACHE_HOME.
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, "atp-testbed");
  return join(homedir(), ".cache", "atp-testbed");
}

/** Where the files of PAPER_COMMIT live inside a cache directory. */
export function paperCacheDir(cacheDir: string = defaultCacheDir()): string {
  return join(cacheDir, "paper", PAPER_COMMIT);
}

/** `$ATP_PAPER_BASE_URL`, else the ATP repository on GitHub at PAPER_COMMIT. */
export function paperBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.ATP_PAPER_BASE_URL || DEFAULT_PAPER_BASE_URL;
}

export interface FetchProgress {
  path: string;
  /** `downloading` comes before each download; `downloaded` / `cached` when a file is settled. */
  status: "downloading" | "downloaded" | "cached";
  url?: string;
  /** 1-based position among PAPER_FILES, and their count. */
  index: number;
  total: number;
}

export interface FetchPaperOptions {
  /** Defaults to defaultCacheDir(). */
  cacheDir?: string;
  /**
   * Where the repository's files are: an http(s) URL of the repository root at PAPER_COMMIT
   * (a mirror), a file: URL or a local directory (a clone). Defaults to paperBaseUrl().
   */
  baseUrl?: string;
  /** Download even files already cached with the right checksum. */
  force?: boolean;
  /** Per-request timeout, 30 s by default. */
  timeoutMs?: number;
  onProgress?: (event: FetchProgress) => void;
}

export interface FetchPaperResult {
  /** The cache directory for PAPER_COMMIT; each file is at `<dir>/<path>`. */
  dir: string;
  files: { path: string; status: "downloaded" | "cached" }[];
}

/**
 * Makes sure every paper file is in the cache with the right checksum, downloading what is
 * missing or damaged. Throws FetchError on the first file that cannot be obtained (files
 * already settled stay cached, so a rerun resumes), InputError for a malformed base URL.
 */
export async function fetchPaperData(options: FetchPaperOptions = {}): Promise<FetchPaperResult> {
  const dir = paperCacheDir(options.cacheDir ?? defaultCacheDir());
  const base = normaliseBaseUrl(options.baseUrl ?? paperBaseUrl());
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const files: FetchPaperResult["files"] = [];
  const total = PAPER_FILES.length;
  for (const [k, file] of PAPER_FILES.entries()) {
    const index = k + 1;
    const dest = join(dir, file.path);
    if (!options.force) {
      const cached = await readIfPresent(dest);
      if (cached && sha256(cached) === file.sha256) {
        files.push({ path: file.path, status: "cached" });
        options.onProgress?.({ path: file.path, status: "cached", index, total });
        continue;
      }
      // A damaged copy would otherwise be picked up by resolvePaperPath if the download fails.
      if (cached) await unlink(dest).catch(() => undefined);
    }
    const url = new URL(file.path, base).href;
    options.onProgress?.({ path: file.path, status: "downloading", url, index, total });
    const body = await download(url, file.path, timeoutMs);
    const actual = sha256(body);
    if (actual !== file.sha256) {
      throw new FetchError(
        `${file.path}: checksum mismatch for ${url}: expected sha256 ${file.sha256}, got ${actual}; ` +
          `nothing was saved. The source does not serve the file as it is at commit ${PAPER_COMMIT} of ${PAPER_REPO}.`,
        { url, path: file.path },
      );
    }
    await writeAtomically(dest, body, file.path);
    files.push({ path: file.path, status: "downloaded" });
    options.onProgress?.({ path: file.path, status: "downloaded", url, index, total });
  }
  return { dir, files };
}

/** True for names of the form `paper:<name>`, which resolvePaperPath handles. */
export function isPaperName(name: string): boolean {
  return name.startsWith(PAPER_PREFIX);
}

/**
 * Maps `paper:sa_llm/question/question_64.json` (optionally with `data/`) or a short alias
 * (`paper:roleplay-test`, see PAPER_ALIASES) to the cached file. InputError if the name is
 * unknown, or the file is not fetched yet or damaged.
 */
export function resolvePaperPath(name: string, cacheDir: string = defaultCacheDir()): string {
  const file = paperFileFor(name);
  const path = join(paperCacheDir(cacheDir), file.path);
  if (!existsSync(path)) {
    throw new InputError(
      `${name}: the paper's data is not fetched yet (no file at ${path}); run \`atp data fetch paper\` ` +
        `first (it needs network access to GitHub), or pass --dataset FILE with a copy of ${file.path} ` +
        `from ${PAPER_REPO}`,
    );
  }
  const actual = sha256(readFileSync(path));
  if (actual !== file.sha256) {
    throw new InputError(
      `${name}: the cached copy at ${path} is damaged (sha256 ${actual}, expected ${file.sha256}); ` +
        "run `atp data fetch paper` again",
    );
  }
  return path;
}

function paperFileFor(name: string): PaperFile {
  const accepted = () =>
    `use one of ${Object.keys(PAPER_ALIASES).map((a) => PAPER_PREFIX + a).join(", ")}, or a path such as ` +
    `paper:sa_llm/question/question_64.json`;
  if (!isPaperName(name)) throw new InputError(`${name}: not a paper data name; ${accepted()}`);
  let rest = name.slice(PAPER_PREFIX.length).replace(/^\/+/, "");
  rest = PAPER_ALIASES[rest] ?? rest;
  if (!rest.startsWith("data/")) rest = `data/${rest}`;
  const file = PAPER_FILES.find((f) => f.path === rest);
  if (!file) throw new InputError(`${name}: no such paper data file; ${accepted()}`);
  return file;
}

// ---------------------------------------------------------------------------------------------

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A URL ending in `/`, so that file paths resolve beneath it rather than beside it. */
function normaliseBaseUrl(raw: string): URL {
  // A plain path (no scheme, or a Windows drive letter) means a local directory.
  const isPath = !/^[a-z][a-z0-9+.-]+:/i.test(raw);
  let url: URL;
  try {
    url = isPath ? pathToFileURL(raw) : new URL(raw);
  } catch {
    throw new InputError(`base URL '${raw}': not a valid URL`);
  }
  if (!["http:", "https:", "file:"].includes(url.protocol)) {
    throw new InputError(`base URL '${raw}': unsupported scheme ${url.protocol} (use https:, http:, file: or a directory)`);
  }
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

async function readIfPresent(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new FetchError(`cannot read the cached file ${file}: ${(err as Error).message}`);
  }
}

async function download(url: string, path: string, timeoutMs: number): Promise<Uint8Array> {
  if (url.startsWith("file:")) return readLocal(url, path);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
  } catch (err) {
    throw unreachable(url, path, err, timeoutMs);
  }
  if (!response.ok) {
    // Release the connection; the error body is not needed.
    await response.body?.cancel().catch(() => undefined);
    const hint =
      response.status === 404
        ? ` The base URL should hold the files of ${PAPER_REPO} at commit ${PAPER_COMMIT} (check --base-url / ATP_PAPER_BASE_URL).`
        : "";
    throw new FetchError(`${path}: ${url} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}.${hint}`, {
      url,
      path,
      status: response.status,
    });
  }
  try {
    return new Uint8Array(await response.arrayBuffer());
  } catch (err) {
    throw unreachable(url, path, err, timeoutMs);
  }
}

async function readLocal(url: string, path: string): Promise<Uint8Array> {
  const local = fileURLToPath(url);
  try {
    return await readFile(local);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new FetchError(`${path}: cannot read ${local} (${why}); the base directory should be a copy of ${PAPER_REPO} at commit ${PAPER_COMMIT}`, {
      url,
      path,
    });
  }
}

const OFFLINE_HINT =
  `\`atp data fetch paper\` needs network access to GitHub (or to the mirror given by --base-url / ATP_PAPER_BASE_URL). ` +
  `Without it, copy the files from ${PAPER_REPO} (commit ${PAPER_COMMIT}, folder data/) by hand and pass ` +
  `--dataset FILE, or set --base-url to a mirror or a local clone.`;

function unreachable(url: string, path: string, err: unknown, timeoutMs: number): FetchError {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  let detail: string;
  if (e?.name === "TimeoutError" || e?.name === "AbortError") {
    detail = `no answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}`;
  } else {
    const code = e?.cause?.code;
    const reasons: Record<string, string> = {
      ECONNREFUSED: "connection refused",
      ENOTFOUND: "host name not found; are you offline?",
      EAI_AGAIN: "host name lookup failed; are you offline?",
      ENETUNREACH: "network unreachable",
      EHOSTUNREACH: "host unreachable",
      ETIMEDOUT: "connection timed out",
      ECONNRESET: "connection reset",
    };
    detail = (code ? reasons[code] : undefined) ?? e?.cause?.message ?? e?.message ?? String(err);
  }
  // Node's built-in fetch does not use proxy variables, which surprises people behind one.
  const proxy = process.env.HTTPS_PROXY || process.env.https_proxy ? " Note: Node's built-in fetch ignores HTTPS_PROXY." : "";
  return new FetchError(`could not reach ${url} (${detail}) while fetching ${path}. ${OFFLINE_HINT}${proxy}`, { url, path });
}

/** Temp file in the same directory + rename, so an interrupted run leaves no half-written file. */
async function writeAtomically(dest: string, body: Uint8Array, path: string): Promise<void> {
  const dir = dirname(dest);
  const tmp = join(dir, `.${basename(dest)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, body);
    await rename(tmp, dest);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new FetchError(
      `${path}: cannot write to the cache at ${dir} (${(err as Error).message}); set ATP_CACHE_DIR to a writable directory`,
      { path },
    );
  }
}
