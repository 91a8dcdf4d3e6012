import { Command } from "commander";
import { InputError } from "../core/errors.js";
import { defaultCacheDir, fetchPaperData, PAPER_ALIASES, PAPER_COMMIT, PAPER_REPO, paperBaseUrl } from "../scenarios/fetch.js";
import type { Io } from "./io.js";

export function dataCommand(io: Io): Command {
  const data = new Command("data").description("Get the paper's scenario files.");
  data
    .command("fetch")
    .summary("download the paper's data files into the cache")
    .description(
      `Downloads the six data files of ${PAPER_REPO} at commit ${PAPER_COMMIT.slice(0, 7)} into the cache and\n` +
        "checks each sha256. Afterwards use them as --dataset paper:NAME, e.g. " +
        Object.keys(PAPER_ALIASES)
          .map((a) => `paper:${a}`)
          .join(", ") +
        ".",
    )
    .argument("<source>", "what to fetch: paper")
    .option("--base-url <url>", "a mirror of the repository at that commit, or a local clone (default: GitHub; env ATP_PAPER_BASE_URL)")
    .option("--cache-dir <dir>", "cache directory (default: $ATP_CACHE_DIR, $XDG_CACHE_HOME/atp-testbed or ~/.cache/atp-testbed)")
    .option("--force", "download again even when the cached copy is intact")
    .action(async (source: string, flags: { baseUrl?: string; cacheDir?: string; force?: boolean }) => {
      if (source !== "paper") throw new InputError(`data fetch: unknown source '${source}': expected paper`);
      const result = await fetchPaperData({
        cacheDir: flags.cacheDir ?? defaultCacheDir(),
        baseUrl: flags.baseUrl ?? paperBaseUrl(),
        force: flags.force,
        onProgress: (e) => {
          if (e.status !== "downloading") io.stderr.write(`atp: [${e.index}/${e.total}] ${e.path}: ${e.status}\n`);
        },
      });
      io.stdout.write(`${result.dir}\n`);
    });
  return data;
}
