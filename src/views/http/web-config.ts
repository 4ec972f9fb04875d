/**
 * @module views/http/web-config
 * `--web-config FILE` in the Prometheus exporter toolkit's format, so node_exporter users reuse
 * their files:
 *
 *   tls_server_config:           # HTTPS instead of HTTP
 *     cert_file: server.crt      # paths relative to the config file's directory
 *     key_file: server.key
 *     client_auth_type: RequireAndVerifyClientCert   # optional (default NoClientCert)
 *     client_ca_file: ca.crt                          # for client certificates
 *     min_version: TLS12         # TLS10…TLS13 (default TLS12); max_version likewise
 *   http_server_config:
 *     headers: { X-Frame-Options: deny }             # added to every response
 *   basic_auth_users:            # user: bcrypt hash ($2a$, $2b$, $2y$), cost 4 to 14
 *     prometheus: $2y$10$…
 *
 * Unknown keys are errors (the toolkit reads strictly too); keys the toolkit has that statsfs
 * does not implement (cipher_suites, curve_preferences, client_allowed_sans, http2: false) are
 * refused by name rather than ignored. The file is read once at start. Passwords are checked
 * off the event loop (see {@link BasicAuth}).
 */
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse } from "yaml";
import { UsageError } from "../../errors.js";
import { printable } from "../../model/printable.js";
import { BcryptPool } from "./bcrypt.js";

/** TLS settings for node:https. */
export interface TlsSettings {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
  readonly requestCert: boolean;
  readonly rejectUnauthorized: boolean;
  /** A client certificate must be presented (RequireAnyClientCert: presented, not verified). */
  readonly requireCert: boolean;
  readonly minVersion: "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";
  readonly maxVersion?: "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";
}

/** A parsed web config. */
export interface WebConfig {
  readonly path: string;
  readonly tls?: TlsSettings;
  /** user → bcrypt hash; empty when basic auth is off. */
  readonly users: ReadonlyMap<string, string>;
  readonly headers: Readonly<Record<string, string>>;
}

const VERSIONS: Record<string, TlsSettings["minVersion"]> = { TLS10: "TLSv1", TLS11: "TLSv1.1", TLS12: "TLSv1.2", TLS13: "TLSv1.3" };
const CLIENT_AUTH = ["NoClientCert", "RequestClientCert", "RequireAnyClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fail(path: string, where: string, what: string): never {
  throw new UsageError(`--web-config ${printable(path)}: ${where}: ${what}`);
}

function section(
  path: string,
  v: unknown,
  where: string,
  allowed: readonly string[],
  refused: readonly string[] = [],
): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (!isRecord(v)) fail(path, where, "must be a mapping");
  for (const k of Object.keys(v)) {
    if (refused.includes(k)) fail(path, `${where}.${printable(k)}`, "is not supported by statsfs");
    if (!allowed.includes(k)) fail(path, `${where}.${printable(k)}`, "unknown key");
  }
  return v;
}

function str(path: string, v: unknown, where: string): string | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") fail(path, where, "must be a string");
  return v;
}

/** Parses web-config text; `path` names it in errors and anchors relative file names. */
export function parseWebConfig(text: string, path: string): WebConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    fail(path, "YAML", printable(e instanceof Error ? (e.message.split("\n")[0] ?? "") : String(e)));
  }
  const top = section(path, doc, "top level", ["tls_server_config", "http_server_config", "basic_auth_users"]);
  const dir = dirname(resolve(path));
  const readRel = (name: string, where: string) => {
    const p = resolve(dir, name);
    try {
      return readFileSync(p);
    } catch (e) {
      return fail(path, where, `cannot read ${printable(p)} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
    }
  };
  let tls: TlsSettings | undefined;
  const t = section(
    path,
    top.tls_server_config,
    "tls_server_config",
    ["cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version", "max_version", "prefer_server_cipher_suites"],
    ["cert", "key", "cipher_suites", "curve_preferences", "client_allowed_sans"],
  );
  if (Object.keys(t).length > 0) {
    const certFile = str(path, t.cert_file, "tls_server_config.cert_file");
    const keyFile = str(path, t.key_file, "tls_server_config.key_file");
    if (certFile === undefined) fail(path, "tls_server_config", "cert_file is required");
    if (keyFile === undefined) fail(path, "tls_server_config", "key_file is required");
    const auth = str(path, t.client_auth_type, "tls_server_config.client_auth_type") ?? "NoClientCert";
    if (!CLIENT_AUTH.includes(auth))
      fail(path, "tls_server_config.client_auth_type", `unknown value ${printable(auth)} (${CLIENT_AUTH.join(", ")})`);
    const caFile = str(path, t.client_ca_file, "tls_server_config.client_ca_file");
    const verifies = auth === "VerifyClientCertIfGiven" || auth === "RequireAndVerifyClientCert";
    if (verifies && caFile === undefined) fail(path, "tls_server_config", `client_auth_type ${auth} needs client_ca_file`);
    const version = (k: "min_version" | "max_version") => {
      const v = str(path, t[k], `tls_server_config.${k}`);
      if (v === undefined) return undefined;
      const m = VERSIONS[v];
      if (!m) fail(path, `tls_server_config.${k}`, `unknown value ${printable(v)} (TLS10, TLS11, TLS12, TLS13)`);
      return m;
    };
    const min = version("min_version") ?? "TLSv1.2";
    const max = version("max_version");
    tls = {
      cert: readRel(certFile, "tls_server_config.cert_file"),
      key: readRel(keyFile, "tls_server_config.key_file"),
      ...(caFile !== undefined ? { ca: readRel(caFile, "tls_server_config.client_ca_file") } : {}),
      requestCert: auth !== "NoClientCert",
      rejectUnauthorized: auth === "RequireAndVerifyClientCert",
      requireCert: auth === "RequireAnyClientCert" || auth === "RequireAndVerifyClientCert",
      minVersion: min,
      ...(max !== undefined ? { maxVersion: max } : {}),
    };
  }
  const h = section(path, top.http_server_config, "http_server_config", ["headers", "http2"]);
  if (h.http2 === false) fail(path, "http_server_config.http2", "false is not supported by statsfs (it serves HTTP/1.1 only)");
  const headers: Record<string, string> = {};
  if (h.headers !== undefined && h.headers !== null) {
    if (!isRecord(h.headers)) fail(path, "http_server_config.headers", "must be a mapping");
    for (const [k, v] of Object.entries(h.headers)) {
      if (!/^[A-Za-z0-9-]+$/.test(k)) fail(path, `http_server_config.headers.${printable(k)}`, "not a header name");
      if (typeof v !== "string" || /[\r\n]/.test(v)) fail(path, `http_server_config.headers.${k}`, "must be a one-line string");
      headers[k] = v;
    }
  }
  const users = new Map<string, string>();
  const u = top.basic_auth_users;
  if (u !== undefined && u !== null) {
    if (!isRecord(u)) fail(path, "basic_auth_users", "must be a mapping of user: bcrypt hash");
    for (const [name, hash] of Object.entries(u)) {
      if (typeof hash !== "string" || !/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) {
        fail(path, `basic_auth_users.${printable(name)}`, "must be a bcrypt hash ($2a$, $2b$ or $2y$)");
      }
      const cost = Number(hash.slice(4, 6));
      if (cost < 4 || cost > MAX_BCRYPT_COST)
        fail(
          path,
          `basic_auth_users.${printable(name)}`,
          `bcrypt cost ${cost} is outside 4..${MAX_BCRYPT_COST} (every check doubles per step: cost 15 takes seconds of CPU, 31 days); rehash, e.g. htpasswd -nbB -C 10 USER PASSWORD`,
        );
      users.set(name, hash);
    }
  }
  return { path, ...(tls ? { tls } : {}), users, headers };
}

/** Reads and parses a web-config file. */
export function loadWebConfig(path: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`--web-config ${printable(path)}: cannot read (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  return parseWebConfig(text, path);
}

/** Highest bcrypt cost accepted: each check at cost 14 takes about a second of CPU; 31 would never finish. */
export const MAX_BCRYPT_COST = 14;

/** How long a wrong credential is remembered as wrong (ms). */
export const FAILURE_TTL_MS = 10_000;
/** Most remembered credentials of each kind (the oldest are dropped first). */
const CACHE_MAX = 4096;

/** Options of {@link BasicAuth}. */
export interface BasicAuthOptions {
  /** Comparisons allowed to wait behind the running one before answering 401 at once. */
  readonly maxQueued?: number;
  /** How long a wrong credential is remembered (default {@link FAILURE_TTL_MS}). */
  readonly failureTtlMs?: number;
}

/**
 * Checks `Authorization: Basic …` against the users. bcrypt runs in a worker thread, one check
 * at a time behind a short queue; when the queue is full the answer is 401 at once. Outcomes are
 * remembered per credential under an HMAC of user and password (never the password itself):
 * successes until the process ends (a scrape every second costs one bcrypt, as in the toolkit),
 * failures for {@link FAILURE_TTL_MS}; concurrent checks of one credential share one bcrypt. An
 * unknown user is compared with a known user's hash, so it takes as long and never matches.
 */
export class BasicAuth {
  readonly #users: ReadonlyMap<string, string>;
  readonly #key = randomBytes(32);
  readonly #ok = new Set<string>();
  readonly #failed = new Map<string, number>();
  readonly #inFlight = new Map<string, Promise<boolean>>();
  readonly #pool: BcryptPool;
  readonly #failureTtl: number;
  /** The hash unknown users are compared with. */
  readonly #decoy: string;

  constructor(users: ReadonlyMap<string, string>, options: BasicAuthOptions = {}) {
    this.#users = users;
    this.#pool = new BcryptPool(options.maxQueued);
    this.#failureTtl = options.failureTtlMs ?? FAILURE_TTL_MS;
    this.#decoy = users.values().next().value ?? "";
    // The worker loads while the server starts: a first scrape (1 s timeout) must not wait for it.
    if (users.size > 0) this.#pool.warm();
  }

  get enabled(): boolean {
    return this.#users.size > 0;
  }

  /** True when the header names a user and the right password. */
  async check(header: string | undefined): Promise<boolean> {
    if (!this.enabled) return true;
    const m = header === undefined ? null : /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
    if (!m) return false;
    const decoded = Buffer.from(m[1] as string, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const key = createHmac("sha256", this.#key).update(user).update("\0").update(password).digest("base64");
    if (this.#ok.has(key)) return true;
    const failedAt = this.#failed.get(key);
    if (failedAt !== undefined) {
      if (Date.now() - failedAt < this.#failureTtl) return false;
      this.#failed.delete(key);
    }
    let run = this.#inFlight.get(key);
    if (!run) {
      run = this.#verify(key, user, password);
      this.#inFlight.set(key, run);
      void run.finally(() => this.#inFlight.delete(key));
    }
    return run;
  }

  async #verify(key: string, user: string, password: string): Promise<boolean> {
    const hash = this.#users.get(user);
    const r = await this.#pool.compare(password, hash ?? this.#decoy);
    if (r === "busy") return false;
    const ok = r && hash !== undefined;
    if (ok) {
      if (this.#ok.size >= CACHE_MAX) this.#ok.delete(this.#ok.values().next().value as string);
      this.#ok.add(key);
    } else {
      if (this.#failed.size >= CACHE_MAX) this.#failed.delete(this.#failed.keys().next().value as string);
      this.#failed.set(key, Date.now());
    }
    return ok;
  }

  /** Stops the bcrypt worker; idempotent. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}
