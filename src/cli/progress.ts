/**
 * Run progress on stderr: on a terminal, one redrawn line with a bar, episodes done of total,
 * calls per second, errors and ETA; otherwise a plain line at most every 10 seconds.
 */
export class Progress {
  private readonly started = Date.now();
  private calls = 0;
  private retries = 0;
  private rateLimited = 0;
  private done = 0;
  private failed = 0;
  private lastPlain = Date.now();
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  call(): void {
    this.calls++;
    this.draw(false);
  }

  /** A call was retried; `rateLimited` when the server answered 429. */
  retry(rateLimited: boolean): void {
    this.retries++;
    if (rateLimited) this.rateLimited++;
    this.draw(false);
  }

  episode(failed: boolean): void {
    this.done++;
    if (failed) this.failed++;
    this.draw(false);
  }

  finish(): void {
    this.draw(true);
    if (this.tty) this.stream.write("\n");
  }

  private line(): string {
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? this.calls / seconds : 0;
    const eta = this.done > 0 && this.done < this.total ? ((this.total - this.done) * seconds) / this.done : 0;
    const retried = this.retries ? `, ${this.retries} retried${this.rateLimited ? ` (${this.rateLimited} rate-limited)` : ""}` : "";
    const errors = `${retried}${this.failed ? `, ${this.failed} episodes failed` : ""}`;
    return `${this.done}/${this.total} episodes, ${rate.toFixed(1)} calls/s${errors}, ETA ${eta.toFixed(0)} s`;
  }

  private draw(final: boolean): void {
    const now = Date.now();
    if (this.tty) {
      // Redrawing on every call would cost more than the calls at thousands per second.
      if (!final && now - this.lastDraw < 100) return;
      this.lastDraw = now;
      const width = 24;
      const filled = this.total ? Math.round((width * this.done) / this.total) : width;
      this.stream.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${this.line()}\x1b[K`);
      return;
    }
    if (final || now - this.lastPlain >= 10_000) {
      this.lastPlain = now;
      this.stream.write(`atp: ${this.line()}\n`);
    }
  }
}
