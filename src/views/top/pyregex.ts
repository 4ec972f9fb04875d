/**
 * @module views/top/pyregex
 * kvm_stat's `-f` takes a Python regular expression; this turns the common Python-only forms into
 * JavaScript ones — global flags `(?i)`, `(?s)`, `(?m)` (and the harmless `(?a)`, `(?u)`) at the
 * start, named groups `(?P<n>…)` and back references `(?P=n)`, `\A` and `\Z`, comments `(?#…)` —
 * and refuses the constructs JavaScript has no equivalent for, in one line naming the construct.
 */
import { UsageError } from "../../errors.js";
import { printable } from "../../model/printable.js";

const FLAG_MAP: Record<string, string> = { i: "i", s: "s", m: "m", a: "", u: "" };
const FLAG_NAMES: Record<string, string> = { x: "verbose", L: "locale" };

function refuse(text: string, construct: string, why: string): UsageError {
  return new UsageError(`-f "${printable(text)}": ${printable(construct)} (${why}) is not supported; write it without`);
}

/** The JavaScript source and flags of Python regex `text`; a UsageError naming what cannot be translated. */
export function fromPython(text: string): { source: string; flags: string } {
  let flags = "";
  let out = "";
  let i = 0;
  let inClass = false;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === "\\") {
      const n = text[i + 1];
      if (n === undefined) throw refuse(text, "a trailing \\", "nothing to escape");
      if (!inClass && n === "Z") out += "$";
      else if (!inClass && n === "A") out += "^";
      else out += c + n;
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      out += c;
      i++;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal in Python.
      if (text[i + 1] === "^") {
        out += "^";
        i++;
      }
      if (text[i + 1] === "]") {
        out += "\\]";
        i++;
      }
      i++;
      continue;
    }
    if (c === "(" && text[i + 1] === "?") {
      const rest = text.slice(i + 2);
      const global = /^([aiLmsux]+)\)/.exec(rest);
      if (global) {
        for (const f of global[1] as string) {
          if (FLAG_NAMES[f]) throw refuse(text, `(?${f})`, `Python's ${FLAG_NAMES[f]} flag`);
          if (!FLAG_MAP[f] && FLAG_MAP[f] !== "") throw refuse(text, `(?${f})`, "an unknown flag");
          if (!flags.includes(FLAG_MAP[f] as string)) flags += FLAG_MAP[f];
        }
        if (i !== 0 && out !== "") throw refuse(text, `(?${global[1]})`, "global flags must come first in Python 3.11 and later");
        i += 2 + (global[0] as string).length;
        continue;
      }
      const named = /^P<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named) {
        out += `(?<${named[1]}>`;
        i += 2 + (named[0] as string).length;
        continue;
      }
      const ref = /^P=([A-Za-z_][A-Za-z0-9_]*)\)/.exec(rest);
      if (ref) {
        out += `\\k<${ref[1]}>`;
        i += 2 + (ref[0] as string).length;
        continue;
      }
      if (rest.startsWith("#")) {
        const end = text.indexOf(")", i);
        if (end < 0) throw refuse(text, "(?#", "an unterminated comment");
        i = end + 1;
        continue;
      }
      const scoped = /^[-aiLmsux]+:/.exec(rest);
      if (scoped) throw refuse(text, `(?${scoped[0]}…)`, "flags scoped to a group");
      if (rest.startsWith("(")) throw refuse(text, "(?(…)…)", "a conditional group");
      if (rest.startsWith(">")) throw refuse(text, "(?>…)", "an atomic group");
      // (?:…), (?=…), (?!…), (?<=…), (?<!…) are the same in both.
    }
    if ((c === "*" || c === "+" || c === "?" || c === "}") && text[i + 1] === "+") {
      throw refuse(text, `${c}+`, "a possessive quantifier");
    }
    out += c;
    i++;
  }
  return { source: out, flags };
}
