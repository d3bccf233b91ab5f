// The panel navigation when the tab strip does not fit the header (a phone, a narrow window, many
// panels): the strip gives way to a button naming the current panel ("Scalars ▾"); it opens every
// panel as a wrapping grid under the header. Whether the strip fits is measured, not guessed from
// the width, so it adapts to any number of panels. The "live" badge keeps its own place.
//   const menu = installNavMenu(document.getElementById("nav")); menu.update("Scalars");

import { debounce, h } from "./dom.js";

export function installNavMenu(nav) {
  const body = document.body;
  const button = h("button", { id: "nav-menu", class: "nav-menu", type: "button", "aria-haspopup": "true",
    "aria-expanded": "false", "aria-controls": "nav", title: "all panels" }, "panels ▾");
  nav.before(button);
  const setOpen = (on) => {
    body.classList.toggle("nav-open", on);
    button.setAttribute("aria-expanded", String(on));
  };
  button.addEventListener("click", (e) => { e.stopPropagation(); setOpen(!body.classList.contains("nav-open")); });
  nav.addEventListener("click", (e) => { if (e.target.closest("a")) setOpen(false); });
  document.addEventListener("click", (e) => { if (!nav.contains(e.target)) setOpen(false); });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") setOpen(false); });

  // compact when the strip would overflow: measured with the strip laid out in full
  const fit = () => {
    body.classList.remove("nav-compact");
    const over = nav.scrollWidth > nav.clientWidth + 1;
    body.classList.toggle("nav-compact", over);
    if (!over) setOpen(false);
  };
  window.addEventListener("resize", debounce(fit, 100));
  return {
    fit,
    update(title) { button.textContent = `${title || "panels"} ▾`; },
  };
}
