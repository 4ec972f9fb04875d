import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { DefinitionError } from "../../src/errors.js";
import {
  createSource,
  defaultRegistry,
  liveSource,
  Registry,
  register,
  registeredSources,
  type Source,
  type TreeObserver,
} from "../../src/producer/index.js";

const tmp = mkdtempSync(join(tmpdir(), "statsfs-registry-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** An observer that logs what it hears. */
function probe(log: string[], tag: string): TreeObserver {
  return {
    added: (c: Source) => log.push(`${tag} added ${c.path.join("/")}`),
    removing: (c: Source) => log.push(`${tag} removing ${c.path.join("/")}`),
    changed: (n: Source) => log.push(`${tag} changed ${n.path.join("/")}`),
    close: () => log.push(`${tag} close`),
  };
}

describe("Registry", () => {
  it("isolated registries: same names side by side, invisible to the default one", () => {
    const a = new Registry();
    const b = new Registry();
    using s1 = createSource("iso");
    using s2 = createSource("iso");
    s1.addValues({ x: {} }).x.add(1);
    s2.addValues({ x: {} }).x.add(2);
    using r1 = a.register(s1);
    using r2 = b.register(s2);
    assert.equal(r1.registry, a);
    assert.deepEqual(a.sources, [s1]);
    assert.deepEqual(b.sources, [s2]);
    assert.equal(a.get("iso"), s1);
    assert.ok(!registeredSources().includes(s1) && !defaultRegistry.sources.includes(s2));
    const live = liveSource(a);
    assert.deepEqual(
      live.files.map((f) => [f.identity.id, f.data[0]]),
      [["statsfs/iso", 1n]],
    );
    assert.ok(!liveSource().files.some((f) => f.identity.id === "statsfs/iso"));
    // A source belongs to one registry at a time.
    assert.throws(
      () => b.register(s1),
      (e: unknown) => e instanceof DefinitionError && /already registered/.test(e.message),
    );
    r1.close();
    assert.deepEqual(a.sources, []);
    assert.equal(s1.registered, false);
    live.pollSync();
    assert.deepEqual(live.files, []);
    void r2;
  });

  it("the default registry is what register() and liveSource() use", () => {
    using s = createSource("default-reg-root");
    s.addValues({ n: {} });
    using reg = register(s);
    assert.equal(reg.registry, defaultRegistry);
    assert.ok(defaultRegistry.sources.includes(s));
    assert.ok(liveSource().files.some((f) => f.identity.id === "statsfs/default-reg-root"));
  });

  it("any number of observers per source, beside the shm exporter", () => {
    const reg = new Registry();
    using root = createSource("obs");
    root.addValues({ a: {} });
    using r = reg.register(root, { export: { dir: tmp, instance: "one" } });
    const log: string[] = [];
    const first = r.attach(probe(log, "p1"));
    r.attach(probe(log, "p2"));
    assert.equal(r.observers.length, 3);
    assert.equal(r.observers[0], r.exporter);
    const sub = root.addSubordinate(createSource("sub"));
    sub.addValues({ b: {} });
    assert.deepEqual(r.exporter?.filesOf(sub), [join(tmp, "obs", "one.stats")], "the exporter still follows the tree");
    first.close();
    first.close();
    root.removeSubordinate(sub);
    sub.close();
    assert.deepEqual(log, [
      "p1 added obs/sub",
      "p2 added obs/sub",
      "p1 changed obs/sub",
      "p2 changed obs/sub",
      "p1 close",
      "p2 removing obs/sub",
    ]);
    r.close();
    assert.deepEqual(log.slice(6), ["p2 close"]);
    assert.ok(!existsSync(join(tmp, "obs", "one.stats")), "closing the registration removed the exported files");
    assert.throws(() => r.attach(probe(log, "late")), DefinitionError);
  });

  it("an observer refusing or failing an addition leaves the tree as it was", () => {
    const reg = new Registry();
    using root = createSource("refuse");
    using r = reg.register(root);
    const log: string[] = [];
    r.attach(probe(log, "ok"));
    const veto = r.attach({
      willAdd: () => {
        throw new DefinitionError("vetoed");
      },
    });
    assert.throws(() => root.addSubordinate(createSource("x")), /vetoed/);
    assert.equal(root.subordinates.length, 0);
    veto.close();
    r.attach({
      added: () => {
        throw new DefinitionError("failed late");
      },
    });
    assert.throws(() => root.addSubordinate(createSource("y")), /failed late/);
    assert.equal(root.subordinates.length, 0);
    assert.deepEqual(log, ["ok added refuse/y", "ok removing refuse/y"]);
  });

  it("registry observers hear roots come and go", () => {
    const reg = new Registry();
    const log: string[] = [];
    using early = createSource("early");
    reg.register(early);
    using watch = reg.observe({
      registered: (r) => log.push(`+${r.source.name}`),
      unregistering: (r) => log.push(`-${r.source.name}`),
    });
    const late = createSource("late");
    reg.register(late);
    late.close();
    reg.clear();
    assert.deepEqual(log, ["+early", "+late", "-late", "-early"]);
    assert.deepEqual(reg.sources, []);
    void watch;
  });

  it("internal members are not in the published declarations", () => {
    const dts = (name: string) => readFileSync(fileURLToPath(new URL(`../../src/producer/${name}.d.ts`, import.meta.url)), "utf8");
    const source = dts("source");
    for (const member of ["store:", "observers:", "onClose("]) assert.ok(!source.includes(member), `source.d.ts has ${member}`);
    const handles = dts("handles");
    assert.ok(!/class Counter[^}]*\bu: Uint32Array/s.test(handles), "handles.d.ts shows the handle's typed array");
    assert.ok(!/declare abstract class Scalar[^}]*\bb: BigUint64Array/s.test(handles));
    assert.ok(!dts("registry").includes("remove(reg"), "registry.d.ts shows Registry.remove");
  });
});
