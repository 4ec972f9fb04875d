/**
 * @module cli/with-source
 * Opens a source for the length of a command and always closes it.
 */
import { openSource } from "../providers/registry.js";
import type { StatsSource } from "../providers/source.js";

/** Opens `uri` (an opened source already holds current values), runs `fn`, and closes it whatever happens. */
export async function withSource<T>(uri: string, fn: (s: StatsSource) => Promise<T>): Promise<T> {
  const source = await openSource(uri);
  try {
    return await fn(source);
  } finally {
    await source.close();
  }
}
