"""Logged text's markdown (``web/markdown.js``: the vendored markdown-it, HTML off, DOM built from
its tokens) in headless Chromium: a table of sources and the exact DOM each gives.

Each case fails on the hand-written renderer this replaced (ML identifiers, nested lists, links
with parentheses, escapes) or guards what it already got right (hostile HTML and links).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import torchscope as ts

from .conftest import Server, shot

CASES = [
    # (what, markdown source, the rendered <div class="markdown">'s innerHTML)
    ("snake_case identifiers stay literal", "train_loss_value fell; val_acc_top_1 rose",
     "<p>train_loss_value fell; val_acc_top_1 rose</p>"),
    ("an identifier beside real emphasis", "*lr* for layer_2_weight and **best_val_loss**",
     "<p><em>lr</em> for layer_2_weight and <strong>best_val_loss</strong></p>"),
    ("file names are not links", "saved model.pt from train.py", "<p>saved model.pt from train.py</p>"),
    ("escaped stars", r"\*not emphasis\* and 2\*3\*4", "<p>*not emphasis* and 2*3*4</p>"),
    ("a nested list", "- data\n  - train\n    - augment\n  - val\n- model",
     "<ul><li>data<ul><li>train<ul><li>augment</li></ul></li><li>val</li></ul></li><li>model</li></ul>"),
    ("an ordered list from 3", "3. three\n4. four", '<ol start="3"><li>three</li><li>four</li></ol>'),
    ("a link with parentheses", "[ReLU](https://en.wikipedia.org/wiki/Rectifier_(neural_networks)) here",
     '<p><a href="https://en.wikipedia.org/wiki/Rectifier_(neural_networks)" rel="noopener noreferrer" '
     'target="_blank">ReLU</a> here</p>'),
    ("a bare URL", "see https://pytorch.org/docs.",
     '<p>see <a href="https://pytorch.org/docs" rel="noopener noreferrer" target="_blank">https://pytorch.org/docs</a>'
     ".</p>"),
    ("code keeps its stars", "`a*b*c` and\n\n```python\nx = y * 2  # __init__\n```",
     '<p><code>a*b*c</code> and</p><pre><code data-lang="python">x = y * 2  # __init__</code></pre>'),
    ("a line break", "epoch 1\nepoch 2", "<p>epoch 1<br>epoch 2</p>"),
    ("a heading sits below the card's title", "# Results", "<h3>Results</h3>"),
    ("a table with alignment", "| metric | value |\n|:--|--:|\n| acc | 0.98 |",
     '<table><thead><tr><th style="text-align: left;">metric</th><th style="text-align: right;">value</th></tr>'
     '</thead><tbody><tr><td style="text-align: left;">acc</td><td style="text-align: right;">0.98</td></tr>'
     "</tbody></table>"),
    ("quote and rule", "> lr halved\n\n---", "<blockquote><p>lr halved</p></blockquote><hr>"),
    ("HTML is text", "<script>window.__xss = 1</script> <img src=x onerror=alert(1)> <b>b</b>",
     "<p>&lt;script&gt;window.__xss = 1&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; &lt;b&gt;b&lt;/b&gt;</p>"),
    ("an HTML block is text", "<div onclick=alert(1)>\nhi\n</div>",
     "<p>&lt;div onclick=alert(1)&gt;<br>hi<br>&lt;/div&gt;</p>"),
    ("javascript: links are not links", "[x](javascript:alert(1)) [y](JaVaScRiPt:alert(1)) [z](data:text/html,hi)",
     "<p>[x](javascript:alert(1)) [y](JaVaScRiPt:alert(1)) [z](data:text/html,hi)</p>"),
    ("other schemes are text", "[f](file:///etc/passwd) [v](vbscript:msgbox) <ftp://host/x>",
     "<p>[f](file:///etc/passwd) [v](vbscript:msgbox) <span>ftp://host/x</span></p>"),
    ("an image is not loaded", "![cat](https://example.com/cat.png)",
     '<p>!<a href="https://example.com/cat.png" rel="noopener noreferrer" target="_blank">cat</a></p>'),
    ("relative and mail links", "[run](#scalars) [me](mailto:a@b.org)",
     '<p><a href="#scalars" rel="noopener noreferrer" target="_blank">run</a> '
     '<a href="mailto:a@b.org" rel="noopener noreferrer" target="_blank">me</a></p>'),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[Server]:
    dir = tmp_path_factory.mktemp("md") / "tsruns"
    with ts.init(project="md", name="notes", dir=dir) as run:
        run.log_text("notes", "\n\n".join(src for _, src, _ in CASES), step=1)
    srv = Server(Path(dir))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def rendered(browser, server) -> dict[str, str]:
    page = browser.new_page()
    page.goto(server.url + "#text")
    got = page.evaluate("""async (cases) => { const { renderMarkdown } = await import("/static/markdown.js");
      const html = (src) => renderMarkdown(src).innerHTML.replace(/\\n/g, "");
      return Object.fromEntries(cases.map(([what, src]) => [what, html(src)])); }""", [[w, s] for w, s, _ in CASES])
    page.close()
    return got


@pytest.mark.parametrize(("what", "src", "html"), CASES, ids=[c[0] for c in CASES])
def test_markdown_case(rendered, what, src, html):
    assert rendered[what] == html


def test_the_text_panel_renders_every_case_without_running_any(page, server):
    page.goto(server.url + "#text")
    page.wait_for_selector(".markdown table")
    md = page.locator(".entry .markdown")
    assert "train_loss_value" in md.inner_text() and md.locator("em").all_inner_texts() == ["lr"]
    assert md.locator("script, img, iframe, [onclick], [onerror]").count() == 0
    hrefs = md.locator("a").evaluate_all("(as) => as.map((a) => a.getAttribute('href'))")
    assert not [h for h in hrefs if not h.startswith(("https:", "#", "mailto:"))]
    assert page.evaluate("() => window.__xss") is None and not page.errors and not page.alerts
    shot(page, "text-markdown")


def test_notes_on_a_phone(browser, server):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True)
    page = ctx.new_page()
    try:
        page.goto(server.url + "#text")
        page.wait_for_selector(".markdown table")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # long links and code wrap
        shot(page, "phone-text-markdown")
    finally:
        ctx.close()
