/**
 * @module model/glob
 * Shell-style globs (`*`, `?`, `[…]`, `[!…]`) as anchored regular expressions: `--names halt_*`,
 * `host:?guest=web*`.
 */

/** A glob as an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        const body = glob.slice(i + 1, end).replace(/\\/g, "\\\\");
        re += `[${body.startsWith("!") ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "s");
}

/** Whether a text has glob characters. */
export function isGlob(text: string): boolean {
  return /[*?[]/.test(text);
}
