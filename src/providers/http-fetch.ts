/**
 * A small fetch for the OpenAI SDK over node:http with keep-alive connections. Node's built-in
 * fetch (undici with web streams, transferable abort signals and per-request stream setup)
 * costs about a millisecond of CPU per completion; at thousands of calls per second against a
 * local server that, not the server, becomes the limit. Completions are small and not streamed,
 * so the body is read whole and handed back as a buffered response: the part of the Response
 * interface the SDK reads for completions (status, ok, url, headers, text(), json(), body).
 */
import http from "node:http";
import https from "node:https";

const agents = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: Infinity }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: Infinity }),
};

function headerRecord(init: ConstructorParameters<typeof Headers>[0]): Record<string, string> {
  if (!init) return {};
  if (init instanceof Headers) return Object.fromEntries(init.entries());
  if (Array.isArray(init)) return Object.fromEntries(init);
  return { ...(init as Record<string, string>) };
}

/** A response read to the end; building a web-stream Response for it costs more than the call. */
class BufferedResponse {
  /** Nothing left to stream: the body was read whole. */
  readonly body = null;
  readonly bodyUsed = false;
  readonly redirected = false;
  readonly type = "basic";

  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly headers: Headers,
    readonly url: string,
    private readonly bytes: Buffer,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  async text(): Promise<string> {
    return this.bytes.toString("utf8");
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.bytes.toString("utf8"));
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return this.bytes.buffer.slice(this.bytes.byteOffset, this.bytes.byteOffset + this.bytes.byteLength) as ArrayBuffer;
  }
}

export function httpFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  if (input instanceof Request) return fetch(input, init); // not used by the SDK; keep the standard path
  const url = new URL(String(input));
  const transport = url.protocol === "https:" ? https : url.protocol === "http:" ? http : undefined;
  if (!transport) return fetch(input, init);
  const body = init.body;
  if (body !== undefined && body !== null && typeof body !== "string") return fetch(input, init);
  return new Promise<Response>((resolve, reject) => {
    const signal = init.signal;
    if (signal?.aborted) {
      reject(signal.reason ?? new DOMException("The operation was aborted.", "AbortError"));
      return;
    }
    const headers = headerRecord(init.headers);
    if (body) headers["content-length"] = String(Buffer.byteLength(body));
    const req = transport.request(url, { method: init.method ?? "GET", headers, agent: agents[url.protocol as "http:" | "https:"] }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        cleanup();
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (Array.isArray(value)) for (const v of value) responseHeaders.append(name, v);
          else if (value !== undefined) responseHeaders.set(name, value);
        }
        const status = res.statusCode ?? 500;
        resolve(new BufferedResponse(status, res.statusMessage ?? "", responseHeaders, url.href, Buffer.concat(chunks)) as unknown as Response);
      });
      res.on("error", fail);
      res.on("aborted", () => fail(new Error("the connection closed before the response was complete")));
    });
    const onAbort = () => req.destroy(signal?.reason ?? new DOMException("The operation was aborted.", "AbortError"));
    const cleanup = () => signal?.removeEventListener("abort", onAbort);
    function fail(err: Error) {
      cleanup();
      reject(err);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", fail);
    req.end(body ?? undefined);
  });
}
