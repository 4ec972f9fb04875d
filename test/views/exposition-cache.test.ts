/**
 * The exposition's cached plan (names, labels, encoded prefixes, data words) follows the files
 * it was built from: a file object that keeps its place in the list but gets a new schema
 * (values added, offsets moved) or new labels is planned again at the next render, through
 * the Exposition and through the HTTP exporter's scrapes; an unchanged list keeps its plan.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { type DescriptorInit, layOut } from "../../src/model/descriptor.js";
import { StatType, StatUnit } from "../../src/model/flags.js";
import { parseId, type StatsIdentity, withLabels } from "../../src/model/identity.js";
import type { StatsFile, StatsSchema } from "../../src/model/stats-file.js";
import type { StatsSource } from "../../src/providers/source.js";
import { Scraper } from "../../src/views/http/scrape.js";
import { Exposition } from "../../src/views/openmetrics/index.js";

/** A stats file whose schema, data and identity a test replaces in place (same object). */
class MutableFile implements StatsFile {
  identity: StatsIdentity;
  schema: StatsSchema;
  data: BigUint64Array;
  constructor(id: string, names: readonly string[], values: readonly bigint[]) {
    this.identity = parseId(id);
    const { descriptors, dataSize } = layOut(names.map((name) => ({ name })));
    this.schema = { descriptors, dataSize, nameSize: 48 };
    this.data = BigUint64Array.from(values);
  }
  /** A new schema (values added before the old ones: every offset moves) and its data. */
  relayout(names: readonly string[], values: readonly bigint[]): void {
    const { descriptors, dataSize } = layOut(names.map((name) => ({ name })));
    this.schema = { descriptors, dataSize, nameSize: 48 };
    this.data = BigUint64Array.from(values);
  }
}

/** A synchronous source over `files` (the same array, whatever the test does to its files). */
function sourceOf(files: StatsFile[]): StatsSource & { pollSync(): void } {
  return {
    uri: "test:mutable",
    capabilities: { pollSync: true, raw: false, reset: false },
    files,
    poll: async () => {},
    pollSync: () => {},
    close: async () => {},
    [Symbol.asyncDispose]: async () => {},
  };
}

const series = (text: string) => text.split("\n").filter((l) => l.startsWith("kvm_vcpu_"));

describe("exposition cache: invalidated by what it was built from", () => {
  it("a file given a new schema in place shows its new series and values at the next render", () => {
    const f = new MutableFile("kvm-5/vcpu-0", ["exits"], [7n]);
    const ex = new Exposition();
    assert.deepEqual(series(ex.render([f], "text")), ['kvm_vcpu_exits_total{pid="5",vcpu="0"} 7']);
    // Two values added in front: `exits` moves from word 0 to word 2.
    f.relayout(["halt_exits", "io_exits", "exits"], [11n, 12n, 13n]);
    assert.deepEqual(series(ex.render([f], "text")), [
      'kvm_vcpu_halt_exits_total{pid="5",vcpu="0"} 11',
      'kvm_vcpu_io_exits_total{pid="5",vcpu="0"} 12',
      'kvm_vcpu_exits_total{pid="5",vcpu="0"} 13',
    ]);
    // And back to a smaller layout: nothing read past the new data block.
    f.relayout(["exits"], [21n]);
    assert.deepEqual(series(ex.render([f], "openmetrics")), ['kvm_vcpu_exits_total{pid="5",vcpu="0"} 21']);
  });

  it("a file given new labels in place shows them at the next render", () => {
    const f = new MutableFile("kvm-5/vcpu-0", ["exits"], [7n]);
    const ex = new Exposition();
    ex.render([f], "text");
    f.identity = withLabels(f.identity, { guest: "web" });
    assert.deepEqual(series(ex.render([f], "text")), ['kvm_vcpu_exits_total{guest="web",pid="5",vcpu="0"} 7']);
  });

  it("an unchanged list keeps its plan (values still read at each render)", () => {
    const f = new MutableFile("kvm-5/vcpu-0", ["exits"], [7n]);
    const ex = new Exposition();
    const before = ex.families([f]);
    f.data[0] = 8n;
    assert.equal(ex.families([f]), before);
    assert.deepEqual(series(ex.render([f], "text")), ['kvm_vcpu_exits_total{pid="5",vcpu="0"} 8']);
  });

  it("the exporter's next scrape (gzip and plain) shows a schema changed mid-run", async () => {
    const f = new MutableFile("kvm-5/vcpu-0", ["exits"], [7n]);
    const scraper = new Scraper([sourceOf([f])]);
    const scrape = async (gz: boolean) => {
      const b = await scraper.body("text", gz);
      return series((gz ? gunzipSync(b) : b).toString("utf8"));
    };
    assert.deepEqual(await scrape(true), ['kvm_vcpu_exits_total{pid="5",vcpu="0"} 7']);
    f.relayout(["halt_exits", "exits"], [100n, 200n]);
    const want = ['kvm_vcpu_halt_exits_total{pid="5",vcpu="0"} 100', 'kvm_vcpu_exits_total{pid="5",vcpu="0"} 200'];
    assert.deepEqual(await scrape(true), want);
    assert.deepEqual(await scrape(false), want);
  });

  it("a render into the reused buffer is byte for byte a fresh render's, whatever the values and formats do", () => {
    const inits: DescriptorInit[] = [
      { name: "exits" },
      { name: "io_exits" },
      { name: "halt_wait_ns", unit: StatUnit.Seconds, exponent: -9 },
      { name: "busy_ms", type: StatType.Instant, unit: StatUnit.Seconds, exponent: -3 },
      { name: "wait_hist", type: StatType.Log2Histogram, size: 5, unit: StatUnit.Seconds, exponent: -9 },
      { name: "pages", type: StatType.Instant },
    ];
    const { descriptors, dataSize } = layOut(inits);
    const files: StatsFile[] = Array.from({ length: 6 }, (_, v) => ({
      identity: parseId(`kvm-3/vcpu-${v}`),
      schema: { descriptors, dataSize, nameSize: 48 },
      data: new BigUint64Array(dataSize / 8),
    }));
    // Values whose digit counts move both ways, some past 2^52 and 2^53 (the slow paths).
    const pick = [
      0n,
      1n,
      9n,
      10n,
      99999n,
      100000n,
      1500000000n,
      2500n,
      10n ** 9n,
      2n ** 52n - 1n,
      2n ** 52n,
      2n ** 53n + 7n,
      2n ** 64n - 1n,
    ];
    let seed = 99n;
    const next = () => {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
      return seed;
    };
    const ex = new Exposition();
    for (let round = 0; round < 300; round++) {
      if (round % 2 === 1) {
        // One value changes: every prefix before it, and after it where the digits keep their count, is in place.
        const f = files[Number(next() % BigInt(files.length))] as StatsFile;
        f.data[Number(next() % BigInt(f.data.length))] = pick[Number(next() % BigInt(pick.length))] as bigint;
      } else
        for (const f of files) {
          for (let w = 0; w < f.data.length; w++) {
            const r = next();
            if (r % 3n === 0n) f.data[w] = pick[Number((r >> 8n) % BigInt(pick.length))] as bigint;
            else if (r % 3n === 1n) f.data[w] = (r >> 20n) % 10n ** BigInt(Number((r >> 4n) % 17n));
          }
        }
      const format = round % 5 === 4 ? "openmetrics" : "text";
      // Fewer files now and then: the plan changes, and so does where each prefix falls.
      const shown = round % 7 === 6 ? files.slice(1) : files;
      const fresh = Buffer.from(ex.renderBuffer(shown, format, "# extra line\n"));
      const reused = ex.renderScratch(shown, format, "# extra line\n");
      assert.equal(reused.toString("latin1"), fresh.toString("latin1"), `round ${round}`);
    }
  });
});
