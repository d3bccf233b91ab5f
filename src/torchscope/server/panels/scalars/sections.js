// How the Scalars panel orders its charts: by the key's prefix (the part before the first "/"),
// the user's own prefixes first (training, then validation, then the others by name, then keys
// with no prefix), torchscope's own after them (system/ from ts.init(system=True), watch/ from
// run.watch, torchscope/); within a section keys in natural order ("layer2" before "layer10").
//   sections(["epoch", "val/acc", "system/cpu", "train/loss"])
//     -> [{ name: "train", keys: ["train/loss"] }, { name: "val", ... }, { name: "", ... }, { name: "system", ... }]

const TRAIN = ["train", "training", "trn"];
const VALID = ["val", "valid", "validation", "eval", "evaluation", "dev", "test"];
const OWN = ["system", "watch", "torchscope"]; // torchscope's own series, in this order, after the user's

export const prefixOf = (key) => (key.includes("/") ? key.slice(0, key.indexOf("/")) : "");

// Sort rank of a section: lower first.
export function sectionRank(name) {
  const low = name.toLowerCase();
  if (TRAIN.includes(low)) return 0;
  if (VALID.includes(low)) return 1;
  if (OWN.includes(low)) return 10 + OWN.indexOf(low);
  return name ? 2 : 3;
}

export const isOwn = (name) => OWN.includes(name.toLowerCase());

const natural = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

// The sections of `keys`, in display order, each with its keys in natural order.
export function sections(keys) {
  const by = new Map();
  for (const k of keys) {
    const p = prefixOf(k);
    if (!by.has(p)) by.set(p, []);
    by.get(p).push(k);
  }
  return [...by.entries()]
    .sort(([a], [b]) => sectionRank(a) - sectionRank(b) || natural.compare(a, b))
    .map(([name, ks]) => ({ name, keys: ks.sort((a, b) => natural.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0)) }));
}

// A section's heading: "train", "val", "other" for keys without a prefix.
export const sectionTitle = (name) => (name ? `${name}/` : "other");
