/**
 * Appends the URL of every module Node loads to the file named by $ATP_MODULE_LOG:
 * `ATP_MODULE_LOG=mods.txt node --import ./dist/bench/module-log.js dist/src/cli/main.js --help`.
 */
import { appendFileSync } from "node:fs";
import { register, type LoadHook } from "node:module";
import { isMainThread } from "node:worker_threads";

export const load: LoadHook = (url, context, next) => {
  if (process.env.ATP_MODULE_LOG) appendFileSync(process.env.ATP_MODULE_LOG, url + "\n");
  return next(url, context);
};

// Imported with --import on the main thread it registers itself; loaded as the hooks it only hooks.
if (isMainThread) register(import.meta.url);
