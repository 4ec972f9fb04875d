/**
 * @module web/dom
 * Building the page's elements. Every piece of text — guest names, statistic names, label
 * values, all of which come from other users — goes in as a text node or an attribute value,
 * never as HTML: there is no innerHTML in the page.
 */

type Child = Node | string | null | undefined | false;

/** An element with attributes (set as text) and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Readonly<Record<string, string | undefined>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** Sets an element's text only when it changed (no layout work for equal numbers). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Sets an attribute only when it changed. */
export function setAttr(el: Element, name: string, value: string): void {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

/** Removes every child. */
export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}
