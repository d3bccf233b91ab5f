"""torchscope.context.console: the tee, its chunks and their order; ts.init(console=True) in a real process."""

from __future__ import annotations

import io
import sys

import torchscope as ts
from torchscope.context.console import ConsoleCapture, terminal_lines

from ..conftest import run_python


def test_terminal_lines_keep_what_a_terminal_shows():
    assert terminal_lines("10%\r50%\r100%\nnext\n") == "100%\nnext\n"
    assert terminal_lines("plain\n") == "plain\n" and terminal_lines("a\r\n") == "a\n"


def test_the_tee_writes_through_and_hands_over_interleaved_chunks(monkeypatch):
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    got = []
    cap = ConsoleCapture(lambda stream, text, wall, step: got.append((stream, text, step)), step=lambda: len(got),
                         interval=3600).start()
    print("one")
    print("two")
    print("oops", file=sys.stderr)  # switching streams hands over the other's whole lines first
    print("three", end="")  # a partial line waits
    cap.flush()
    assert got == [("stdout", "one\ntwo\n", 0), ("stderr", "oops\n", 0)]  # steps: when the first line was written
    cap.stop()
    assert got[-1] == ("stdout", "three", 1) and sys.stdout is out and sys.stderr is err
    assert out.getvalue() == "one\ntwo\nthree" and err.getvalue() == "oops\n"  # the terminal saw everything


def test_a_run_keeps_its_console_in_step_and_time_order(tmp_path):
    code = """
        import sys, torchscope as ts
        run = ts.init(project="c", dir=sys.argv[1], console=True)
        for i in range(3):
            run.log({"loss": 1.0 / (i + 1)})
            print(f"epoch {i}")
            if i == 1:
                print("warning at 1", file=sys.stderr)
        sys.stderr.write("progress 10%\\rprogress 100%\\n")
        print("bye", end="")
        run.finish()
        print("after the run")
    """
    proc = run_python(code, str(tmp_path / "s"))
    assert proc.stdout == "epoch 0\nepoch 1\nepoch 2\nbyeafter the run\n"  # the terminal is untouched
    store = ts.open(tmp_path / "s")
    rid = store.runs()[0].id
    chunks = sorted((t.wall_time, k[8:], t.step, t.text) for k in ("console/stdout", "console/stderr")
                    for t in store.texts(rid, k))
    text = "".join(c[3] for c in chunks)
    assert text == "epoch 0\nepoch 1\nwarning at 1\nepoch 2\nprogress 100%\nbye"
    assert [(c[1], c[2]) for c in chunks if "warning" in c[3]] == [("stderr", 1)]
    assert "after the run" not in text
