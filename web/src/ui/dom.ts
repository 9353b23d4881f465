// Tiny DOM helpers. Text only ever goes in through textContent / attributes, never as HTML.
export const SVG_NS = 'http://www.w3.org/2000/svg';

type Attrs = Record<string, string | number | boolean | undefined>;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string | undefined)[]): HTMLElementTagNameMap[K] {
  const n = document.createElement(tag);
  setAttrs(n, attrs);
  for (const c of children) if (c !== undefined) n.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return n;
}

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, text?: string): SVGElementTagNameMap[K] {
  const n = document.createElementNS(SVG_NS, tag);
  setAttrs(n, attrs);
  if (text !== undefined) n.textContent = text;
  return n;
}

function setAttrs(n: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') n.setAttribute('class', String(v));
    else n.setAttribute(k, v === true ? '' : String(v));
  }
}

export function clear(n: Element): void {
  while (n.firstChild) n.removeChild(n.firstChild);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const n = document.getElementById(id);
  if (!n) throw new Error(`missing element #${id}`);
  return n as T;
}
