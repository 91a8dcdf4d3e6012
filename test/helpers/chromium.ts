/** Debian's Chromium for the viewer's page tests (playwright-core, never a downloaded browser). */
import { existsSync } from "node:fs";
import type { TestContext } from "node:test";
import { chromium, type Browser } from "playwright-core";

/** ATP_CHROMIUM points elsewhere. */
export const CHROMIUM = process.env.ATP_CHROMIUM ?? "/usr/bin/chromium";

// Without the background-networking flags Chromium keeps trying hosts the closed network refuses.
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** A headless Chromium, or undefined with the test skipped when there is none (under CI=true the test fails instead). */
export async function launchChromium(t: TestContext): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    const message = `Chromium not found at ${CHROMIUM}; install it (apt-get install chromium) or set ATP_CHROMIUM`;
    if (process.env.CI === "true") throw new Error(message);
    t.skip(message);
    return undefined;
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}
