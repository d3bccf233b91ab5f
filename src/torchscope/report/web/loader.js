// The report's only inline script (its hash is in the page's Content Security Policy): it loads the
// inlined ES modules from blob: URLs, each after the modules it imports (report/assets.py put
// "ts-module:<id>" where their import paths were), adds the inlined stylesheets and starts the report.
const root = document.getElementById("report");
try {
  const bundle = JSON.parse(document.getElementById("ts-modules").textContent);
  for (const [name, css] of bundle.styles) {
    const style = document.createElement("style");
    style.dataset.source = name;
    style.textContent = css;
    document.head.append(style);
  }
  const urls = {};
  for (const [id, text] of bundle.modules) {
    const code = text.replace(/"ts-module:([^"]+)"/g, (_, dep) => JSON.stringify(urls[dep]));
    urls[id] = URL.createObjectURL(new Blob([code, `\n//# sourceURL=torchscope-report:/${id}`], { type: "text/javascript" }));
  }
  const shell = await import(urls[bundle.entry]);
  await shell.start(root, urls);
} catch (e) {
  console.error(e);
  root.dataset.state = "error";
  const p = document.createElement("p");
  p.className = "error";
  p.textContent = `The report could not start: ${e && e.message ? e.message : e}`;
  root.replaceChildren(p);
}
