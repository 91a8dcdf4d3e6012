/**
 * The local web viewer: a JSON API over a run store and the one-page app that shows it, on
 * node:http, bound to the loopback interface.
 *
 * The store is opened once and made query-only: the viewer never writes, and in WAL mode its
 * reads never block a run that is writing to the same file. Every request reads the store, so a
 * running run shows its progress; the derived data of a run (summary, chart SVGs) is kept until
 * the run's progress fingerprint changes.
 *
 *   GET /                                   the page (with /app.css, and /app.js, which loads /view/client/app.js and the
 *                                           other client modules, the testbeds' panels among them, at their paths under src)
 *   GET /api/runs                           runs with settings, progress and headline numbers
 *   GET /api/runs/:id                       one run: settings, call stats, summary tables
 *   GET /api/runs/:id/charts/:name.svg      violation, collusion, conditional[?payoff=], tipping,
 *                                           trace?episode=KEY[&repeat=N], tooluse, measures-ID (a testbed
 *                                           shown by its measures)
 *   GET /api/runs/:id/episodes              ?suite=&scenario=&threshold=&round=&choice=&status=&offset=&limit=
 *   GET /api/runs/:id/episodes/:idx         one episode's transcript
 *
 * Every /api/runs/:id... request takes `?at=N`, the snapshot number a run's detail gave: the
 * episodes and charts of one page refresh are then read from that snapshot, not the run again.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../core/errors.js";
import { listen } from "../core/listen.js";
import { renderSvg } from "../report/render.js";
import { RunStore } from "../store/store.js";
import {
  chartSpec,
  episodeList,
  episodeView,
  loadSnapshot,
  parseEpisodeFilter,
  runDetail,
  runOverview,
  runSignature,
  ViewError,
  type RunSnapshot,
} from "./data.js";
import { PAGE_CSS, PAGE_HTML } from "./page.js";

export interface ViewerOptions {
  /** The SQLite store file; it must exist. */
  db: string;
  /** 0 picks a free port. */
  port?: number;
  /** A loopback address: the viewer is never served to the network. */
  host?: string;
}

export interface Viewer {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  close(): Promise<void>;
}

/** The page runs only scripts and styles it was served by us; model text can never become markup. */
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'";

const SECURITY_HEADERS = {
  "content-security-policy": CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

/** The client's entry module, by its path under src. */
const APP = "view/client/app";

/**
 * The client's compiled modules by their path under src (`view/client/app.js`, a testbed's
 * `testbeds/NAME/panel.js`), so the browser resolves their relative imports as the compiler did;
 * read once, served from memory.
 */
function clientModules(): Map<string, string> {
  const dir = fileURLToPath(new URL("../../client/", import.meta.url));
  let files: string[];
  try {
    files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((n) => n.endsWith(".js"));
  } catch {
    files = [];
  }
  const modules = new Map(files.map((f) => [relative(dir, join(dir, f)).split(sep).join("/"), readFileSync(join(dir, f), "utf8")]));
  if (!modules.has(`${APP}.js`)) throw new Error(`view: the viewer's client is not built in ${dir} (run npm run build)`);
  // The page's script: the app at its own path, whose imports then resolve to the one copy of each module.
  modules.set("app.js", `import "./${APP}.js";\n`);
  return modules;
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost)$/;

/** Host names a browser on this machine uses; anything else is a DNS-rebinding page talking to us. */
function hostAllowed(header: string | undefined): boolean {
  if (!header) return false;
  const name = header.startsWith("[") ? header.slice(1, header.indexOf("]")) : header.replace(/:\d+$/, "");
  return LOOPBACK.test(name.toLowerCase());
}

interface CachedRun {
  signature: string;
  /** The snapshot's number, unique in this server: a page's later requests name it with `?at=`. */
  at: number;
  snapshot: RunSnapshot;
  svgs: Map<string, string>;
}

/** Derived data per run, kept while the run's fingerprint stays the same. */
class RunCache {
  private readonly snapshots = new Map<string, CachedRun>();
  private loaded = 0;

  constructor(
    private readonly store: RunStore,
    private readonly max = 32,
  ) {}

  /**
   * The run's snapshot: the one numbered `at` while it is still kept (a page reading the parts
   * of one refresh reads the run once), else the current one.
   */
  get(runId: string, at?: number): CachedRun {
    const hit = this.snapshots.get(runId);
    if (hit && at !== undefined && hit.at === at) return hit;
    // One read transaction: the fingerprint and the snapshot are of the same moment.
    const entry = this.store.db.transaction(() => {
      const run = this.store.getRun(runId);
      if (run === undefined) return undefined;
      const states = this.store.episodeStates(runId);
      const signature = runSignature(run, states);
      if (hit && hit.signature === signature) return hit;
      return { signature, at: ++this.loaded, snapshot: loadSnapshot(this.store, run, states), svgs: new Map<string, string>() };
    })();
    if (entry === undefined) {
      this.snapshots.delete(runId);
      throw new ViewError(404, `no run '${runId}'`);
    }
    this.snapshots.delete(runId);
    this.snapshots.set(runId, entry);
    // Oldest first in a Map: drop the runs looked at longest ago.
    while (this.snapshots.size > this.max) this.snapshots.delete(this.snapshots.keys().next().value!);
    return entry;
  }
}

/** `?at=N` names the snapshot a page's refresh started from; it is taken out before the other parameters are read. */
function takeAt(query: URLSearchParams): number | undefined {
  const text = query.get("at");
  if (text === null) return undefined;
  query.delete("at");
  if (!/^\d+$/.test(text)) throw new ViewError(400, `at: expected a snapshot number (an integer >= 0), got '${text}'`);
  return Number(text);
}

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), "cache-control": "no-store", ...SECURITY_HEADERS, ...extra });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

const sendJson = (res: ServerResponse, status: number, value: unknown) => send(res, status, "application/json; charset=utf-8", JSON.stringify(value));

/** Splits a path into decoded segments; a malformed escape is a 400. */
function segments(pathname: string): string[] {
  try {
    return pathname.split("/").filter((s) => s !== "").map(decodeURIComponent);
  } catch {
    throw new ViewError(400, `malformed path '${pathname}'`);
  }
}

function episodeIndex(text: string): number {
  if (!/^\d+$/.test(text)) throw new ViewError(400, `episode: expected an index (an integer >= 0), got '${text}'`);
  return Number(text);
}

function noParams(query: URLSearchParams): void {
  const names = [...query.keys()];
  if (names.length) throw new ViewError(400, `unknown parameter '${names[0]}'`);
}

export async function startViewer(options: ViewerOptions): Promise<Viewer> {
  const host = options.host ?? "127.0.0.1";
  if (!LOOPBACK.test(host)) throw new InputError(`view: host must be a loopback address (127.0.0.1, ::1 or localhost), got '${host}'`);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`view: port must be an integer from 0 to 65535, got ${port}`);
  // A viewer on a typo says so instead of creating an empty store.
  const modules = clientModules();
  const store = RunStore.open(options.db, { mustExist: true });
  store.db.pragma("query_only = ON");
  const cache = new RunCache(store);
  const dbName = basename(options.db);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://viewer.invalid");
    const path = segments(url.pathname);
    const query = url.searchParams;
    if (path.length === 0) return send(res, 200, "text/html; charset=utf-8", PAGE_HTML);
    const script = modules.get(path.join("/"));
    if (script !== undefined) return send(res, 200, "text/javascript; charset=utf-8", script);
    if (path.length === 1 && path[0] === "app.css") return send(res, 200, "text/css; charset=utf-8", PAGE_CSS);
    if (path[0] !== "api") throw new ViewError(404, `no page '${url.pathname}'`);

    if (path.length === 2 && path[1] === "runs") {
      noParams(query);
      const runs = store.listRuns().flatMap((r) => {
        try {
          return [runOverview(cache.get(r.id).snapshot)];
        } catch (err) {
          // A run deleted between the list and its read is simply gone.
          if (err instanceof ViewError && err.status === 404) return [];
          throw err;
        }
      });
      return sendJson(res, 200, { db: dbName, runs });
    }
    if (path[1] !== "runs" || path.length < 3) throw new ViewError(404, `no API '${url.pathname}'`);
    const runId = path[2];
    const entry = cache.get(runId, takeAt(query));
    if (path.length === 3) {
      noParams(query);
      return sendJson(res, 200, runDetail(entry.snapshot, entry.at));
    }
    if (path.length === 5 && path[3] === "charts") {
      // `measures-ID`: the chart of a testbed shown by its measures.
      const match = /^([a-z][a-z0-9_-]*)\.svg$/.exec(path[4]);
      if (!match) throw new ViewError(404, `no chart '${path[4]}' (charts are NAME.svg)`);
      const key = `${match[1]}?${query.toString()}`;
      let svg = entry.svgs.get(key);
      if (svg === undefined) {
        svg = await renderSvg(chartSpec(entry.snapshot, match[1], query));
        // Traces are one per game: keep the cache from growing with every game looked at.
        if (entry.svgs.size >= 64) entry.svgs.clear();
        entry.svgs.set(key, svg);
      }
      return send(res, 200, "image/svg+xml; charset=utf-8", svg);
    }
    if (path[3] === "episodes" && path.length === 4) return sendJson(res, 200, episodeList(entry.snapshot, parseEpisodeFilter(query)));
    if (path[3] === "episodes" && path.length === 5) {
      const idx = episodeIndex(path[4]);
      noParams(query);
      return sendJson(res, 200, episodeView(store, entry.snapshot, idx));
    }
    throw new ViewError(404, `no API '${url.pathname}'`);
  }

  const server = createServer((req, res) => {
    if (!hostAllowed(req.headers.host)) return sendJson(res, 403, { error: "the viewer answers only to localhost addresses" });
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return sendJson(res, 405, { error: `method ${req.method} not allowed` });
    }
    route(req, res).catch((err: unknown) => {
      if (err instanceof ViewError) return sendJson(res, err.status, { error: err.message });
      // Chart checks reject impossible numbers with a RangeError: a broken run, not a broken request.
      return sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
    });
  });
  // Connections the browser keeps alive would otherwise hold close() open.
  server.keepAliveTimeout = 2_000;

  try {
    await listen(server, port, host, "view");
  } catch (err) {
    store.close();
    throw err;
  }
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => {
          store.close();
          if (err) reject(err);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}
