// Markdown for logged text (run.log_text), parsed by the vendored markdown-it (CommonMark plus
// GitHub's tables and strikethrough) with raw HTML off, then built as DOM nodes from its tokens:
// no HTML string is ever parsed, only the tags listed below are made, and a link keeps its href
// only for http(s), mailto, #anchors and relative URLs (anything else shows as plain text).
// Images are not loaded (`![alt](url)` shows as a link). Single newlines are line breaks.
//   el.append(renderMarkdown("**lr** halved at `train_loss_value` < 0.1"));

import markdownit from "./vendor/markdown-it.esm.js";

const md = markdownit({ html: false, linkify: true, breaks: true, typographer: false });
md.linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false }); // train.py, model.pt stay text
md.disable(["image"]);

// markdown-it tag -> the element made; headings sit two levels down (a card title is an h3)
const TAGS = new Set(["p", "ul", "ol", "li", "blockquote", "em", "strong", "s", "table", "thead", "tbody", "tr",
  "th", "td", "a"]);
const ALIGN = /^text-align:(left|center|right)$/;

// The href a link keeps, or null: C0 controls and spaces trimmed, tabs and newlines dropped (as a
// browser's URL parser does), then only http, https, mailto or no scheme at all.
export function safeHref(raw) {
  const url = String(raw ?? "").replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "").replace(/[\t\n\r]/g, "");
  const scheme = url.match(/^([a-z][a-z0-9+.-]*):/i);
  return !scheme || ["http", "https", "mailto"].includes(scheme[1].toLowerCase()) ? url : null;
}

function open(t) {
  if (/^h[1-6]$/.test(t.tag)) return document.createElement(`h${Math.min(6, Number(t.tag[1]) + 2)}`);
  if (!TAGS.has(t.tag)) return document.createElement("span");
  if (t.tag === "a") {
    const href = safeHref(t.attrGet("href"));
    if (href === null) return document.createElement("span");
    const a = document.createElement("a");
    Object.assign(a, { href, rel: "noopener noreferrer", target: "_blank" });
    if (t.attrGet("title")) a.title = t.attrGet("title");
    return a;
  }
  const el = document.createElement(t.tag);
  const start = Number(t.attrGet("start"));
  if (t.tag === "ol" && Number.isInteger(start)) el.setAttribute("start", String(start));
  const align = ALIGN.exec(t.attrGet("style") || "");
  if (align) el.style.textAlign = align[1];
  return el;
}

function leaf(t) {
  switch (t.type) {
    case "code_inline": { const c = document.createElement("code"); c.textContent = t.content; return c; }
    case "code_block": case "fence": {
      const pre = document.createElement("pre"), code = document.createElement("code");
      code.textContent = t.content.replace(/\n$/, "");
      if (t.info) code.dataset.lang = t.info.trim().split(/\s+/)[0];
      pre.append(code);
      return pre;
    }
    case "hardbreak": case "softbreak": return document.createElement("br");
    case "hr": return document.createElement("hr");
    default: return document.createTextNode(t.content); // text, and anything else: as text
  }
}

function build(tokens, parent) {
  const stack = [parent];
  for (const t of tokens) {
    const top = stack[stack.length - 1];
    if (t.type === "inline") build(t.children || [], top);
    else if (t.nesting === 1) {
      if (t.hidden) { stack.push(top); continue; } // a tight list's paragraph: no <p>
      const el = open(t);
      top.append(el);
      stack.push(el);
    } else if (t.nesting === -1) stack.pop();
    else top.append(leaf(t));
  }
}

// A <div class="markdown"> holding `src` rendered.
export function renderMarkdown(src) {
  const root = document.createElement("div");
  root.className = "markdown";
  build(md.parse(String(src ?? ""), {}), root);
  return root;
}
