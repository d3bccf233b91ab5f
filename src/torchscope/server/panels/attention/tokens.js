// Token attributions (explain.tokens records) as coloured tokens: red for the prediction, blue
// against it, orange for magnitudes, each sample scaled by its largest score (as the library's
// TokenAttribution.html, after Captum's text visualization). A token's title gives its score.
//   el.append(tokenView(answer))      // answer: GET /api/attention/tokens

import { h, plural } from "../../static/dom.js";
import { tokenColor } from "./data.js";

export function tokenView(t) {
  const rows = t.samples.map((s, i) => {
    let top = 0;
    s.norm.forEach((v, j) => { if (Math.abs(v) > Math.abs(s.norm[top])) top = j; });
    return h("div", { class: "att-sample", dataset: { sample: i, top } },
      h("div", { class: "att-caption" }, `sample ${i} · ${s.caption} · largest: `, h("b", {}, s.tokens[top] ?? "")),
      h("div", { class: "att-words" }, s.tokens.map((tok, j) => h("span", { class: "att-word", dataset: { j },
        title: `${tok}: ${s.scores[j]}`, style: { background: tokenColor(s.norm[j], t.signed) } }, tok === "" ? "␣" : tok))));
  });
  const more = t.total > t.samples.length ? h("div", { class: "note" }, `the first ${plural(t.samples.length, "sample")} of ${t.total}`) : null;
  return h("div", { class: "att-tokens-view" }, rows, more);
}
