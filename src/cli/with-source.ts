/**
 * @module cli/with-source
 * Opens a source (or several, as one union) for the length of a command and always closes it.
 */
import { openSources } from "../providers/registry.js";
import type { StatsSource } from "../providers/source.js";

/** Opens `uris` (an opened source already holds current values), runs `fn`, and closes it whatever happens. */
export async function withSource<T>(uris: string | readonly string[], fn: (s: StatsSource) => Promise<T>): Promise<T> {
  const source = await openSources(typeof uris === "string" ? [uris] : uris);
  try {
    return await fn(source);
  } finally {
    await source.close();
  }
}
