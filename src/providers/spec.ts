/**
 * @module providers/spec
 * One grammar for source names: `scheme:rest?key=value&…` (a name without a known scheme is a
 * file path, and `file:` paths keep any `?`). A name is parsed once into a {@link SourceSpec}
 * and built back by {@link formatSpec}; {@link withQuery} adds or replaces options without
 * cutting strings, and every value is percent-encoded as URLSearchParams will decode it (a `+`
 * stays a `+`, a `&` stays in its value).
 */

/** A parsed source name. */
export interface SourceSpec {
  /** The scheme, without its colon (`file` for a plain path). */
  readonly scheme: string;
  /** What follows `scheme:` up to the `?` (the whole path of a file). */
  readonly rest: string;
  /** The `?key=value` options. */
  readonly query: URLSearchParams;
}

/**
 * Splits `uri` into a {@link SourceSpec}. `known(scheme)` says whether a scheme names a
 * provider; a name whose scheme is unknown is a file path (the caller decides whether that is
 * an error).
 */
export function parseSpec(uri: string, known: (scheme: string) => boolean): SourceSpec & { readonly schemeLike: string | undefined } {
  const m = /^([a-z][a-z0-9+.-]*):(.*)$/.exec(uri);
  const schemeLike = m?.[1];
  if (!m || !known(m[1] as string)) return { scheme: "file", rest: uri, query: new URLSearchParams(), schemeLike };
  const scheme = m[1] as string;
  const body = m[2] as string;
  // file: paths keep any '?' they contain.
  const q = scheme === "file" ? -1 : body.indexOf("?");
  return q < 0
    ? { scheme, rest: body, query: new URLSearchParams(), schemeLike }
    : { scheme, rest: body.slice(0, q), query: new URLSearchParams(body.slice(q + 1)), schemeLike };
}

/** A query value or key encoded for URLSearchParams, keeping `/`, `:` and `,` readable. */
function encode(s: string): string {
  return encodeURIComponent(s).replace(/%2F/gi, "/").replace(/%3A/gi, ":").replace(/%2C/gi, ",");
}

/** The name of a spec: `scheme:rest[?query]`, each query value encoded. */
export function formatSpec(spec: SourceSpec): string {
  const q = [...spec.query].map(([k, v]) => `${encode(k)}=${encode(v)}`).join("&");
  return `${spec.scheme}:${spec.rest}${q === "" ? "" : `?${q}`}`;
}

/** A spec built from its parts; options whose value is undefined are left out. */
export function sourceSpec(scheme: string, rest: string, options: Readonly<Record<string, string | undefined>> = {}): SourceSpec {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(options)) if (v !== undefined) query.set(k, v);
  return { scheme, rest, query };
}

/** `spec` with options set (replacing any of the same key); the spec itself is not changed. */
export function withQuery(spec: SourceSpec, options: Readonly<Record<string, string>>): SourceSpec {
  const query = new URLSearchParams(spec.query);
  for (const [k, v] of Object.entries(options)) query.set(k, v);
  return { scheme: spec.scheme, rest: spec.rest, query };
}
