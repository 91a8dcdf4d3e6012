import type { Server } from "node:http";
import { InputError } from "./errors.js";

/**
 * Starts `server` on host:port. The reasons a user can fix (a port in use, a privileged port, a
 * host that is not this machine's) are InputErrors naming `what`, so they exit 2 without a stack.
 */
export async function listen(server: Server, port: number, host: string, what: string): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new InputError(`${what}: port ${port} on ${host} is in use; choose another with --port, or --port 0 for any free one`);
    if (code === "EACCES") throw new InputError(`${what}: not allowed to listen on port ${port}; choose one above 1023 with --port`);
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") throw new InputError(`${what}: --host ${host} is not an address of this machine`);
    throw err;
  }
}
