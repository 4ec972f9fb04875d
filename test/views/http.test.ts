/**
 * The HTTP exporter in-process: shared polls, gzip, read-only methods, slow and vanishing
 * clients, web config (TLS with an openssl certificate, bcrypt basic auth), CLI usage errors.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import bcrypt from "bcryptjs";
import { UsageError } from "../../src/errors.js";
import { layOut } from "../../src/model/descriptor.js";
import { parseId } from "../../src/model/identity.js";
import type { StatsFile } from "../../src/model/stats-file.js";
import { openSource } from "../../src/providers/registry.js";
import { NO_CAPABILITIES, type StatsSource } from "../../src/providers/source.js";
import { HttpExporter, loadWebConfig, parseHttpAddress, parseWebConfig } from "../../src/views/http/index.js";
import { cli } from "../helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "statsfs-http-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const local = { host: "127.0.0.1", port: 0 };

/** An asynchronous source whose polls wait for `release()`; counts them. */
class GatedSource implements StatsSource {
  uri = "gated:";
  readonly capabilities = NO_CAPABILITIES;
  readonly files: StatsFile[];
  polls = 0;
  #gate: (() => void) | undefined;
  constructor() {
    const { descriptors, dataSize } = layOut([{ name: "exits" }]);
    this.files = [{ identity: parseId("kvm-9/vcpu-0"), schema: { descriptors, dataSize, nameSize: 48 }, data: new BigUint64Array(1) }];
  }
  poll(): Promise<void> {
    this.polls++;
    return new Promise<void>((r) => {
      this.#gate = () => {
        (this.files[0] as StatsFile).data[0] = BigInt(this.polls);
        r();
      };
    });
  }
  release(): void {
    this.#gate?.();
  }
  async close(): Promise<void> {}
  async [Symbol.asyncDispose](): Promise<void> {}
}

describe("http exporter", () => {
  it("scrapes in flight together share one poll and one body", async () => {
    const src = new GatedSource();
    await using ex = await HttpExporter.listen({ address: local, sources: [src] });
    const pending = Array.from({ length: 5 }, () => fetch(ex.url).then((r) => r.text()));
    while (src.polls === 0) await new Promise((r) => setTimeout(r, 5));
    // The poll is held until released: give the other four requests time to reach the server
    // (generous, for a loaded machine; the assertion is about sharing, not about speed).
    await new Promise((r) => setTimeout(r, 750));
    src.release();
    const bodies = await Promise.all(pending);
    assert.equal(src.polls, 1);
    assert.equal(new Set(bodies).size, 1);
    assert.match(bodies[0] as string, /^kvm_vcpu_exits_total\{pid="9",vcpu="0"\} 1$/m);
    // The next scrape polls again.
    const next = fetch(ex.url).then((r) => r.text());
    while (src.polls === 1) await new Promise((r) => setTimeout(r, 5));
    src.release();
    assert.match(await next, /^kvm_vcpu_exits_total\{pid="9",vcpu="0"\} 2$/m);
  });

  it("a source whose poll fails is left out and shows as up 0; the others still answer", async () => {
    const bad = new GatedSource();
    bad.uri = "bad:";
    bad.poll = () => Promise.reject(new Error("peer gone"));
    await using good = await openSource("sim:");
    await using ex = await HttpExporter.listen({ address: local, sources: [bad, good] });
    const text = await (await fetch(ex.url)).text();
    assert.match(text, /^statsfs_exporter_source_up\{source="bad:"\} 0$/m);
    assert.match(text, /^statsfs_exporter_source_up\{source="sim:"\} 1$/m);
    assert.doesNotMatch(text, /pid="9"/);
    assert.match(text, /^kvm_vcpu_exits_total\{pid="0",vcpu="0"\} /m);
  });

  it("negotiates the format, gzips when asked, is read-only", async () => {
    await using s = await openSource("sim:?vcpus=2");
    await using ex = await HttpExporter.listen({ address: local, sources: [s] });
    const om = await fetch(ex.url, { headers: { Accept: "application/openmetrics-text;version=1.0.0,text/plain;q=0.5" } });
    assert.equal(om.headers.get("content-type"), "application/openmetrics-text; version=1.0.0; charset=utf-8");
    assert.match(await om.text(), /# EOF\n$/);
    const text = await fetch(ex.url);
    assert.equal(text.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    assert.match(await text.text(), /^statsfs_exporter_source_up\{source="sim:\?vcpus=2"\} 1$/m);
    // Raw request so that the body stays compressed.
    const raw = await rawRequest(ex.address.port, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
    const split = raw.indexOf("\r\n\r\n");
    assert.match(raw.subarray(0, split).toString(), /content-encoding: gzip/i);
    assert.match(gunzipSync(raw.subarray(split + 4)).toString(), /^kvm_vcpu_exits_total/m);
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const r = await fetch(ex.url, { method });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.get("allow"), "GET, HEAD");
    }
    assert.equal((await fetch(ex.url.replace("/metrics", "/reset"))).status, 404);
    const head = await fetch(ex.url, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  });

  it("a client that never reads does not stall others; one that vanishes costs nothing", async () => {
    await using s = await openSource("sim:?vcpus=1024");
    await using ex = await HttpExporter.listen({ address: local, sources: [s] });
    const big = (await (await fetch(ex.url)).arrayBuffer()).byteLength;
    assert.ok(big > 2_000_000, `exposition of 1024 vCPUs is ${big} bytes`);
    // A reader that sends a request and then never reads its socket.
    const slow = connect(ex.address.port, "127.0.0.1");
    await new Promise<void>((r) => slow.once("connect", () => r()));
    slow.pause();
    slow.write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    // Clients that disconnect right after asking.
    for (let i = 0; i < 20; i++) {
      const c = connect(ex.address.port, "127.0.0.1");
      c.on("error", () => {});
      c.once("connect", () => {
        c.write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        c.destroy();
      });
    }
    for (let i = 0; i < 3; i++) {
      const r = await fetch(ex.url);
      assert.equal(r.status, 200);
      assert.ok((await r.arrayBuffer()).byteLength > 2_000_000);
    }
    slow.destroy();
  });
});

function rawRequest(port: number, text: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    c.on("data", (b) => chunks.push(b));
    c.on("end", () => resolve(Buffer.concat(chunks)));
    c.on("error", reject);
    c.write(text);
  });
}

describe("web config", () => {
  it("refuses what it does not understand, in one line naming file and key", () => {
    const bad: [string, RegExp][] = [
      ["bogus: 1\n", /top level\.bogus: unknown key/],
      ["tls_server_config:\n  cert_file: a\n", /key_file is required/],
      ["tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n", /cannot read .*nope\.crt \(ENOENT\)/],
      ["tls_server_config:\n  cipher_suites: [x]\n", /cipher_suites: is not supported/],
      ["basic_auth_users:\n  u: plain\n", /basic_auth_users\.u: must be a bcrypt hash/],
      ["basic_auth_users: [1]\n", /must be a mapping/],
      ["a: [\n", /YAML/],
    ];
    for (const [text, re] of bad) {
      assert.throws(
        () => parseWebConfig(text, join(tmp, "w.yml")),
        (e: Error) => e instanceof UsageError && re.test(e.message) && !e.message.includes("\n"),
        text,
      );
    }
    assert.throws(() => loadWebConfig(join(tmp, "missing.yml")), /cannot read \(ENOENT\)/);
  });

  it("serves HTTPS with basic auth ($2y$ hashes as htpasswd writes them)", async () => {
    const crt = join(tmp, "server.crt");
    const key = join(tmp, "server.key");
    const r = spawnSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key,
        "-out",
        crt,
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    const hash = bcrypt.hashSync("s3cret", 4).replace(/^\$2b\$/, "$2y$");
    const cfg = join(tmp, "web.yml");
    writeFileSync(
      cfg,
      `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prom: ${hash}\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n`,
    );
    await using s = await openSource("sim:");
    await using ex = await HttpExporter.listen({ address: local, sources: [s], webConfig: loadWebConfig(cfg) });
    assert.equal(ex.scheme, "https");
    const ca = (await import("node:fs")).readFileSync(crt);
    const get = (auth?: string) =>
      new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
        const req = httpsRequest(
          ex.url,
          { ca, headers: auth ? { Authorization: `Basic ${Buffer.from(auth).toString("base64")}` } : {} },
          (res) => {
            let body = "";
            res.on("data", (b) => (body += b));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
          },
        );
        req.on("error", reject);
        req.end();
      });
    assert.equal((await get()).status, 401);
    assert.equal((await get("prom:wrong")).status, 401);
    assert.equal((await get("nobody:s3cret")).status, 401);
    const ok = await get("prom:s3cret");
    assert.equal(ok.status, 200);
    assert.equal(ok.headers["x-frame-options"], "deny");
    assert.match(ok.body, /^kvm_vcpu_exits_total/m);
    assert.equal((await get("prom:s3cret")).status, 200);
  });
});

describe("web config: client certificates", () => {
  it("RequireAndVerifyClientCert: a client with a certificate the CA file names gets in, one without does not", async () => {
    const mk = (name: string, cn: string) => {
      const r = spawnSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-keyout",
          join(tmp, `${name}.key`),
          "-out",
          join(tmp, `${name}.crt`),
          "-days",
          "1",
          "-subj",
          `/CN=${cn}`,
          "-addext",
          "subjectAltName=IP:127.0.0.1",
        ],
        { encoding: "utf8" },
      );
      assert.equal(r.status, 0, r.stderr);
    };
    mk("mtls-server", "server");
    mk("mtls-client", "client");
    const cfg = join(tmp, "mtls.yml");
    writeFileSync(
      cfg,
      "tls_server_config:\n  cert_file: mtls-server.crt\n  key_file: mtls-server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: mtls-client.crt\n",
    );
    await using s = await openSource("sim:");
    await using ex = await HttpExporter.listen({ address: local, sources: [s], webConfig: loadWebConfig(cfg) });
    const { readFileSync } = await import("node:fs");
    const ca = readFileSync(join(tmp, "mtls-server.crt"));
    const get = (withCert: boolean) =>
      new Promise<number>((resolve, reject) => {
        const opts = withCert
          ? { ca, cert: readFileSync(join(tmp, "mtls-client.crt")), key: readFileSync(join(tmp, "mtls-client.key")) }
          : { ca };
        const req = httpsRequest(ex.url, opts, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.end();
      });
    assert.equal(await get(true), 200);
    await assert.rejects(get(false));
  });
});

describe("serve --http usage", () => {
  it("addresses", () => {
    assert.deepEqual(parseHttpAddress("9100"), { host: "127.0.0.1", port: 9100 });
    assert.deepEqual(parseHttpAddress("0.0.0.0:80"), { host: "0.0.0.0", port: 80 });
    assert.deepEqual(parseHttpAddress("[::1]:9"), { host: "::1", port: 9 });
    assert.deepEqual(parseHttpAddress(":"), { host: "127.0.0.1", port: 9798 });
    assert.throws(() => parseHttpAddress("70000"), /port must be 0\.\.65535/);
    assert.throws(() => parseHttpAddress("::1:9"), /brackets/);
  });
  it("bad options exit 2 with one line", async () => {
    for (const args of [
      ["--http", "nope"],
      ["--web-config", "x.yml", "sim:"],
      ["--http", "0", "--web-config", join(tmp, "none.yml"), "sim:"],
      [],
    ]) {
      const r = await cli("serve", ...args);
      assert.equal(r.code, 2, args.join(" "));
      assert.equal(r.err.trim().split("\n").length, 1, r.err);
    }
  });
});
