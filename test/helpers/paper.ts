/**
 * Finds the paper's reference data and golden transcripts for tests: ATP_PAPER_DIR, or
 * ../shared/atp-paper beside the repository. Outside CI a missing copy skips the test with a
 * visible message; under CI=true it fails, so CI can never pass without the parity checks.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestContext } from "node:test";

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (tests run from dist/test/helpers). */
export const repoRoot = resolve(here, "..", "..", "..");

export function paperDir(): string {
  return process.env.ATP_PAPER_DIR ?? resolve(repoRoot, "..", "shared", "atp-paper");
}

/** Returns the path of a file in the paper copy, or null after skipping the test. */
export function paperFile(t: TestContext, relative: string): string | null {
  const file = join(paperDir(), relative);
  if (existsSync(file)) return file;
  const message = `paper data not found at ${file} (set ATP_PAPER_DIR)`;
  if (process.env.CI === "true") throw new Error(message);
  t.skip(message);
  return null;
}
