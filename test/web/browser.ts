/**
 * Real Chromium for the dashboard's tests and benchmark: Debian's /usr/bin/chromium driven by
 * playwright-core (never a downloaded browser). Where it is missing the tests skip, loudly;
 * with STATSFS_REQUIRE_CHROMIUM=1 (set by .ci/run where chromium is installed) that is a failure.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Why the browser tests cannot run here, or undefined when they can. */
export function chromiumSkip(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `SKIPPED: ${CHROMIUM} is missing on this machine (apt-get install chromium), the dashboard's browser tests cannot run`;
  if (process.env.STATSFS_REQUIRE_CHROMIUM === "1") throw new Error(`STATSFS_REQUIRE_CHROMIUM=1 but ${reason}`);
  console.error(reason);
  return reason;
}

/** Launches headless Chromium with no background traffic of its own. */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/** In-page: long tasks (PerformanceObserver "longtask") recorded from the start, in window.__longTasks. */
export const LONG_TASKS_INIT = `
  window.__longTasks = [];
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration }); })
      .observe({ type: "longtask", buffered: true });
  } catch {}
`;
