/**
 * The one idempotent close (src/closable.ts) and the classes that use it: close() twice runs the
 * closing once (async: the same promise), `closed` says so, and `await using` / `using` close.
 * One row per class that can be built here without root; the KVM rows need /dev/kvm.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { AsyncClosable, Closable } from "../../src/closable.js";
import { encodeStatsFile } from "../../src/codec/index.js";
import { makeDescriptor } from "../../src/model/descriptor.js";
import { createSource, register } from "../../src/producer/index.js";
import { attachSource, shareSource } from "../../src/producer/threads.js";
import { PendingSource } from "../../src/providers/pending.js";
import { openSource } from "../../src/providers/registry.js";
import { UnionSource } from "../../src/providers/union.js";
import { UnopenedSource } from "../../src/providers/unopened.js";
import { BcryptPool } from "../../src/views/http/bcrypt.js";
import { HttpExporter } from "../../src/views/http/server.js";
import { QmpServer } from "../../src/views/qmp/server.js";
import { hasKvm } from "../skip.js";

class CountingAsync extends AsyncClosable {
  runs = 0;
  fail = false;
  protected async closing(): Promise<void> {
    this.runs++;
    await new Promise((r) => setTimeout(r, 5));
    if (this.fail) throw new Error("closing failed");
  }
}

class CountingSync extends Closable {
  runs = 0;
  protected closing(): void {
    this.runs++;
  }
}

describe("closable: the base classes", () => {
  it("AsyncClosable runs closing once; every close() returns the same promise; await using closes", async () => {
    const c = new CountingAsync();
    assert.equal(c.closed, false);
    const a = c.close();
    const b = c.close();
    assert.equal(a, b);
    assert.equal(c.closed, true);
    await a;
    await c.close();
    assert.equal(c.runs, 1);
    let used: CountingAsync | undefined;
    {
      await using u = new CountingAsync();
      used = u;
    }
    assert.equal(used.runs, 1);
    assert.equal(used.closed, true);
  });

  it("AsyncClosable: a failed closing rejects every close() with the same error, and does not run again", async () => {
    const c = new CountingAsync();
    c.fail = true;
    await assert.rejects(c.close(), /closing failed/);
    await assert.rejects(c.close(), /closing failed/);
    assert.equal(c.runs, 1);
  });

  it("Closable runs closing once, with closed already true; using closes", () => {
    const c = new CountingSync();
    c.close();
    c.close();
    assert.equal(c.runs, 1);
    let used: CountingSync | undefined;
    {
      using u = new CountingSync();
      used = u;
    }
    assert.equal(used.runs, 1);
  });
});

/** Checks close() twice and `closed`, then `await using` on a second instance from `make`. */
async function closesOnce(make: () => Promise<AsyncClosable | Closable>): Promise<void> {
  const x = await make();
  assert.equal(x.closed, false);
  await x.close();
  await x.close();
  assert.equal(x.closed, true);
  let y: AsyncClosable | Closable | undefined;
  {
    await using z = await make();
    y = z;
  }
  assert.equal(y.closed, true);
}

describe("closable: every class that closes", () => {
  const dir = mkdtempSync(join(tmpdir(), "statsfs-closable-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("LocalSource (sim:), PendingSource, UnionSource, UnopenedSource", async () => {
    await closesOnce(async () => (await openSource("sim:")) as never);
    await closesOnce(async () => new PendingSource("sim:", openSource));
    await closesOnce(async () => new UnionSource([await openSource("sim:"), await openSource("sim:?vcpus=1")]));
    await closesOnce(async () => new UnopenedSource("x:", new Error("no")));
  });

  it("FdStatsFile (a binary stats file): a poll after close says so", async () => {
    const path = join(dir, "one.stats");
    writeFileSync(path, encodeStatsFile({ id: "kvm-1", descriptors: [makeDescriptor({ name: "exits" })] }));
    const src = await openSource(path);
    const file = src.files[0] as unknown as Closable & { poll(): void };
    assert.ok(file instanceof Closable);
    file.close();
    file.close();
    assert.throws(() => file.poll(), /closed/);
    await src.close();
  });

  it("QmpServer, its sessions, QmpClient and QmpStatsSource", async () => {
    const sim = await openSource("sim:");
    try {
      let n = 0;
      await closesOnce(async () => QmpServer.listen(`unix:${join(dir, `s${n++}.sock`)}`, { sources: [sim] }));
      await using server = await QmpServer.listen(`unix:${join(dir, "q.sock")}`, { sources: [sim] });
      const qmp = await openSource(`qmp:${join(dir, "q.sock")}`);
      const client = (qmp as unknown as { client: AsyncClosable }).client;
      assert.ok(qmp instanceof AsyncClosable && client instanceof AsyncClosable);
      await qmp.close();
      await qmp.close();
      assert.equal(client.closed, true);
      await assert.rejects(qmp.poll(), /closed/);
      await server.close();
      assert.equal(server.connections, 0);
    } finally {
      await sim.close();
    }
  });

  it("the HTTP exporter and its bcrypt pool", async () => {
    const sim = await openSource("sim:");
    try {
      await closesOnce(async () => HttpExporter.listen({ address: { host: "127.0.0.1", port: 0 }, sources: [sim] }));
      await closesOnce(async () => new BcryptPool());
      const pool = new BcryptPool();
      await pool.close();
      assert.equal(await pool.compare("x", "$2b$04$abcdefghijklmnopqrstuu5Q2u0dgq3HVQOvQ6P4ZfDUFXD8aeTAQ6"), "busy");
    } finally {
      await sim.close();
    }
  });

  it("producer: Registration and ThreadShard", async () => {
    await closesOnce(async () => register(createSource("closable_test")));
    const source = createSource("closable_shards", { shards: 4 });
    try {
      source.addValues({ n: { type: "cumulative" } });
      const shared = shareSource(source);
      await closesOnce(async () => attachSource(shared, { n: { type: "cumulative" } }));
    } finally {
      source.close();
    }
  });

  it("KVM: the demo VM and the /dev/kvm fd owners", { skip: hasKvm() ? false : "no /dev/kvm" }, async () => {
    const { startDemoVm } = await import("../../src/providers/kvm/demo.js");
    const { Kvm } = await import("../../src/providers/kvm/kvm.js");
    await closesOnce(async () => (await startDemoVm({ vcpus: 1 })) as never);
    await closesOnce(async () => new Kvm());
    const kvm = new Kvm();
    kvm.close();
    assert.throws(() => kvm.fd, /already closed/);
  });
});
