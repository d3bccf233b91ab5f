// The panel navigation at any width and any number of panels. Whether things fit is measured, not
// guessed from the width:
//  - a desktop shows the panels as a tab strip; the tabs that do not fit go, in order, into a
//    "More ▾" menu at the end of the strip (it names the current panel when that one is inside it);
//  - where even a few tabs would not fit (a phone), the strip gives way to one button naming the
//    current panel ("Scalars ▾"), which opens every panel as a wrapping grid under the header.
// The "live" badge keeps its own place beside the strip (never over it).
//   const menu = installNavMenu(document.getElementById("nav")); menu.fit(); menu.update("Scalars");

import { debounce, h } from "./dom.js";

const MIN_TABS = 4; // fewer tabs than this would fit beside "More": the phone menu instead

export function installNavMenu(nav) {
  const body = document.body;
  const button = h("button", { id: "nav-menu", class: "nav-menu", type: "button", "aria-haspopup": "true",
    "aria-expanded": "false", "aria-controls": "nav", title: "all panels" }, "panels ▾");
  nav.before(button);
  const moreList = h("div", { id: "nav-more-list", class: "nav-more-list", role: "menu" });
  const moreBtn = h("button", { id: "nav-more", class: "nav-more", type: "button", "aria-haspopup": "true",
    "aria-expanded": "false", "aria-controls": "nav-more-list", title: "the panels that do not fit the strip" }, "More ▾");
  const more = h("span", { class: "nav-more-wrap", hidden: true }, moreBtn, moreList);

  const setOpen = (on) => {
    body.classList.toggle("nav-open", on);
    button.setAttribute("aria-expanded", String(on));
  };
  const setMoreOpen = (on) => {
    body.classList.toggle("nav-more-open", on);
    moreBtn.setAttribute("aria-expanded", String(on));
    if (on) place();
  };
  // the list hangs under the button, kept on screen (it is fixed: the strip's overflow would clip it)
  const place = () => {
    const r = moreBtn.getBoundingClientRect();
    moreList.style.top = `${Math.round(r.bottom + 4)}px`;
    moreList.style.right = `${Math.max(4, Math.round(innerWidth - r.right))}px`;
  };
  button.addEventListener("click", (e) => { e.stopPropagation(); setOpen(!body.classList.contains("nav-open")); });
  moreBtn.addEventListener("click", (e) => { e.stopPropagation(); setMoreOpen(!body.classList.contains("nav-more-open")); });
  nav.addEventListener("click", (e) => { if (e.target.closest("a")) { setOpen(false); setMoreOpen(false); } });
  document.addEventListener("click", (e) => {
    if (!nav.contains(e.target)) setOpen(false);
    if (!more.contains(e.target)) setMoreOpen(false);
  });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") { setOpen(false); setMoreOpen(false); } });

  const links = () => [...nav.querySelectorAll("a[data-panel]")];
  const over = () => nav.scrollWidth > nav.clientWidth + 1;

  // Lay the strip out: every tab in it, then the last ones into "More" until it fits, or the phone menu.
  const fit = () => {
    const all = links();
    body.classList.remove("nav-compact");
    setMoreOpen(false);
    for (const a of all) nav.append(a); // back in order, before "More"
    nav.append(more);
    more.hidden = true;
    if (over()) {
      more.hidden = false;
      let keep = all.length;
      while (keep > 0 && over()) { keep -= 1; moreList.prepend(all[keep]); label(); } // the last tabs first
      if (keep < MIN_TABS) { // a phone: one button opens every panel
        for (const a of all) nav.append(a);
        more.hidden = true;
        body.classList.add("nav-compact");
      }
    }
    nav.dataset.tabs = String(body.classList.contains("nav-compact") ? 0 : links().filter((a) => !moreList.contains(a)).length);
    if (!body.classList.contains("nav-compact")) setOpen(false);
    label();
  };

  // "More ▾", or the current panel's name when it is one of the panels in there
  const label = () => {
    const active = moreList.querySelector("a.active");
    moreBtn.textContent = active ? `${active.textContent} ▾` : "More ▾";
    moreBtn.classList.toggle("active", Boolean(active));
  };

  window.addEventListener("resize", debounce(fit, 100));
  return {
    fit,
    update(title) {
      button.textContent = `${title || "panels"} ▾`;
      if (!more.hidden) { const before = moreBtn.textContent; label(); if (moreBtn.textContent !== before) fit(); }
    },
  };
}
