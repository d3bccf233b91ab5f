// A small, safe markdown renderer: the text is never parsed as HTML. Blocks and inline
// marks become DOM nodes built with createElement/textContent; links keep only http(s),
// mailto and relative URLs. Supports headings, paragraphs, lists, code blocks, quotes,
// tables, rules, **bold**, *italic*, `code`, [links](url) and line breaks.
//   el.append(renderMarkdown("**lr** halved"));

import { h } from "./dom.js";

const SAFE_URL = /^(https?:|mailto:|[^:]*$)/i;

function inline(text) {
  const out = [];
  const re = /(`+)([\s\S]*?)\1|\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|_([^_\s][^_]*)_|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let last = 0, m;
  while ((m = re.exec(text))) {
    if (m.index > last) out.push(text.slice(last, m.index));
    if (m[1]) out.push(h("code", {}, m[2]));
    else if (m[3] || m[4]) out.push(h("strong", {}, inline(m[3] || m[4])));
    else if (m[5] || m[6]) out.push(h("em", {}, inline(m[5] || m[6])));
    else if (m[7]) {
      const url = m[8].trim();
      out.push(SAFE_URL.test(url) ? h("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, inline(m[7])) : m[0]);
    }
    last = re.lastIndex;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function table(lines) {
  const cells = (l) => l.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim());
  const head = cells(lines[0]);
  const rows = lines.slice(2).map(cells);
  return h("table", {}, h("thead", {}, h("tr", {}, head.map((c) => h("th", {}, inline(c))))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, inline(c)))))));
}

export function renderMarkdown(src) {
  const root = h("div", { class: "markdown" });
  const lines = String(src).replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^\s*$/.test(line)) { i++; continue; }
    let m;
    if ((m = line.match(/^```/))) {
      const body = [];
      for (i++; i < lines.length && !/^```/.test(lines[i]); i++) body.push(lines[i]);
      i++;
      root.append(h("pre", {}, h("code", {}, body.join("\n"))));
    } else if ((m = line.match(/^(#{1,6})\s+(.*)$/))) {
      root.append(h(`h${Math.min(6, m[1].length + 2)}`, {}, inline(m[2]))); i++;
    } else if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      root.append(h("hr", {})); i++;
    } else if (/^\s*>/.test(line)) {
      const body = [];
      for (; i < lines.length && /^\s*>/.test(lines[i]); i++) body.push(lines[i].replace(/^\s*>\s?/, ""));
      root.append(h("blockquote", {}, renderMarkdown(body.join("\n"))));
    } else if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      const ordered = /^\s*\d/.test(line), items = [];
      for (; i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i]); i++) items.push(lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, ""));
      root.append(h(ordered ? "ol" : "ul", {}, items.map((t) => h("li", {}, inline(t)))));
    } else if (line.includes("|") && i + 1 < lines.length && /^\s*\|?\s*:?-+/.test(lines[i + 1])) {
      const body = [];
      for (; i < lines.length && lines[i].includes("|"); i++) body.push(lines[i]);
      root.append(table(body));
    } else {
      const body = [];
      for (; i < lines.length && lines[i].trim() && !/^(#{1,6}\s|```|\s*>|\s*([-*+]|\d+[.)])\s)/.test(lines[i]); i++) body.push(lines[i]);
      const parts = [];
      body.forEach((l, j) => { if (j) parts.push(h("br", {})); parts.push(...inline(l)); });
      root.append(h("p", {}, parts));
    }
  }
  return root;
}
