import type { Work } from "../run/execute.js";
import type { ProviderEvent } from "../providers/types.js";
import type { CallMeta } from "../store/store.js";
import type { Output } from "./io.js";

/** How long the last error stays in the progress line after it happened. */
const LAST_ERROR_MS = 30_000;

/**
 * Run progress on stderr: on a terminal, one line redrawn in place with a bar of calls (or
 * rounds) done out of planned, calls per second, retries, errors, an ETA once there is a rate,
 * and the last error while retries go on; elsewhere (a pipe, a file) a plain line every 10
 * seconds, with no escape codes. It also counts what the end-of-run summary reports.
 */
export class Progress {
  private readonly started = Date.now();
  private done = 0;
  private total: number;
  private readonly unit: Work["unit"];
  calls = 0;
  cached = 0;
  /** Calls that needed more than one attempt and then succeeded. */
  retriedCalls = 0;
  /** Calls that gave up after their retries. */
  failedCalls = 0;
  promptTokens = 0;
  completionTokens = 0;
  /** Whether any call reported its token counts (simulated agents do not). */
  tokensKnown = false;
  private retries = 0;
  private rateLimited = 0;
  private failedEpisodes = 0;
  private lastError: { text: string; at: number } | undefined;
  private lastPlain = Date.now();
  private lastDraw = 0;
  private finished = false;
  private readonly tty: boolean;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    work: Work,
    private readonly stream: Output,
  ) {
    this.unit = work.unit;
    this.total = work.total;
    this.tty = Boolean(stream.isTTY);
    // Slow calls bring few events: redraw every second so the rate and ETA stay current.
    if (this.tty) this.timer = setInterval(() => this.draw(false), 1000).unref();
  }

  /** Seconds since the progress started. */
  get seconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  work(done: number, total: number): void {
    this.done = done;
    this.total = total;
    this.draw(false);
  }

  call(meta: CallMeta): void {
    this.calls++;
    if (meta.cached) this.cached++;
    if (meta.attempts > 1) this.retriedCalls++;
    if (meta.promptTokens !== undefined || meta.completionTokens !== undefined) this.tokensKnown = true;
    this.promptTokens += meta.promptTokens ?? 0;
    this.completionTokens += meta.completionTokens ?? 0;
    this.draw(false);
  }

  /** An attempt failed: it is retried (`retry`, `rate-limited`) or the call gives up (`failed`). */
  providerEvent(event: ProviderEvent): void {
    if (event.kind === "failed") this.failedCalls++;
    else this.retries++;
    if (event.kind === "rate-limited") this.rateLimited++;
    // One line: a server's multi-line error body must not break the redrawn line.
    this.lastError = { text: event.error.replace(/\s+/g, " "), at: Date.now() };
    this.draw(false);
  }

  episode(failed: boolean): void {
    if (failed) this.failedEpisodes++;
    this.draw(false);
  }

  /** Draws the last line; later events (calls abandoned by a stop) draw nothing. */
  finish(): void {
    if (this.finished) return;
    if (this.timer) clearInterval(this.timer);
    this.draw(true);
    this.finished = true;
    if (this.tty) this.stream.write("\n");
  }

  private line(): string {
    const seconds = this.seconds;
    const rate = seconds > 0 ? this.calls / seconds : 0;
    const eta = this.done === 0 ? "--" : `${(((this.total - this.done) * seconds) / this.done).toFixed(0)} s`;
    const parts = [`${this.done}/${this.total} ${this.unit}`, `${rate.toFixed(1)} calls/s`];
    if (this.retries) parts.push(`${this.retries} retries${this.rateLimited ? ` (${this.rateLimited} rate-limited)` : ""}`);
    if (this.failedCalls) parts.push(`${this.failedCalls} calls failed`);
    if (this.failedEpisodes) parts.push(`${this.failedEpisodes} episodes failed`);
    parts.push(`ETA ${eta}`);
    const recent = this.lastError && Date.now() - this.lastError.at < LAST_ERROR_MS ? ` | last error: ${this.lastError.text}` : "";
    return parts.join(", ") + recent;
  }

  private draw(final: boolean): void {
    if (this.finished) return;
    const now = Date.now();
    if (this.tty) {
      // Redrawing on every call would cost more than the calls at thousands per second.
      if (!final && now - this.lastDraw < 100) return;
      this.lastDraw = now;
      const width = 24;
      const filled = this.total ? Math.min(width, Math.round((width * this.done) / this.total)) : width;
      const text = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${this.line()}`;
      // A line longer than the terminal would wrap, and \r would then redraw only its last part.
      const columns = this.stream.columns || 80;
      this.stream.write(`\r${text.length >= columns ? text.slice(0, columns - 1) : text}\x1b[K`);
      return;
    }
    if (final || now - this.lastPlain >= 10_000) {
      this.lastPlain = now;
      this.stream.write(`atp: ${this.line()}\n`);
    }
  }
}
