/**
 * Imported first by the `atp` command: modules read the environment as they load (the default
 * OPENAI_BASE_URL), so the working folder's `.env` must be in it before any other import.
 */
import { InputError } from "../core/errors.js";
import { loadDotenv } from "../core/dotenv.js";

try {
  loadDotenv(process.cwd());
} catch (err) {
  if (!(err instanceof InputError)) throw err;
  process.stderr.write(`atp: error: ${err.message}\n`);
  process.exit(2);
}
