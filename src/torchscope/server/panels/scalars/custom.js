// The custom charts of an add_custom_scalars layout (the `layout` of /api/scalars/keys): one section
// per category, one chart per layout chart. A multiline chart's tags are regular expressions, matched
// as TensorBoard does (at the start of the key: Python's re.match); Python's named groups (?P<n>...)
// are read as JavaScript's; a tag that is no valid regular expression is matched as literal text, and
// the chart's tooltip says so. A margin chart's tags are three keys: value, lower, upper.
//   const cats = customCategories(layout);   // [{ name, title, charts: [{ id, type, title, tags, match, tip }] }]
//   cats[0].charts[0].match(["loss/train", "acc"])  -> ["loss/train"]

const natural = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// One tag as a matcher: { test(key), valid } (valid: false when the tag was taken literally).
export function tagMatcher(tag) {
  const src = String(tag).replace(/\(\?P</g, "(?<").replace(/\(\?P=(\w+)\)/g, "\\k<$1>");
  try { return { re: new RegExp(`^(?:${src})`), valid: true }; } catch (e) { /* literal */ }
  return { re: new RegExp(`^${escape(String(tag))}`), valid: false };
}

export function customCategories(layout) {
  return (layout?.categories || []).map((cat, ci) => ({
    name: `\u0000custom/${cat.title}`, // the section's name (its folded state is remembered by title)
    title: cat.title || "custom",
    charts: cat.charts.map((c, i) => chartSpec(c, `custom:${ci}/${i}`)),
  }));
}

function chartSpec(c, id) {
  const tags = c.tags.map(String);
  if (c.type === "margin") {
    const [value, lower, upper] = tags;
    return { id, type: "margin", title: c.title, tags,
      match: (keys) => (keys.includes(value) ? [value, lower, upper] : []),
      tip: (keys) => `${c.title}\nmargin chart: ${value} (value) between ${lower} (lower) and ${upper} (upper)` +
        (keys.length ? "" : `\nno key ${value} in these runs`) };
  }
  const matchers = tags.map((t) => ({ tag: t, ...tagMatcher(t) }));
  const invalid = matchers.filter((m) => !m.valid).map((m) => m.tag);
  return { id, type: "multiline", title: c.title, tags, invalid,
    match: (keys) => keys.filter((k) => matchers.some((m) => m.re.test(k))).sort((a, b) => natural.compare(a, b) || (a < b ? -1 : 1)),
    tip: (keys) => `${c.title}\ntags (regular expressions matched at the start of each key): ${tags.join(", ")}` +
      invalid.map((t) => `\n${t}: not a valid regular expression, matched as literal text`).join("") +
      `\nkeys: ${keys.length ? keys.join(", ") : "none match"}` };
}
