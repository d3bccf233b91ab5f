"""The ``torchscope`` command line."""

from __future__ import annotations

import subprocess
import sys

import torchscope as ts
from tests.conftest import ROOT, child_env


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "torchscope", *args], capture_output=True, text=True,
                          timeout=timeout, env=child_env())


def test_demo_quick_writes_a_complete_run(tmp_path):  # what each run holds: tests/test_tour.py
    proc = _cli("demo", "--quick", "--no-serve", "--dir", str(tmp_path / "d"))
    assert proc.returncode == 0, proc.stderr
    assert "validation accuracy" in proc.stdout and "7 runs stored in" in proc.stdout
    store = ts.open(tmp_path / "d")
    runs = store.runs(project="demo")
    assert len(runs) == 7 and {r.status for r in runs} == {"finished"}
    (cnn,) = [r for r in runs if r.name == "digits-cnn-lr0.003"]
    assert cnn.summary["val_acc"] > 0.5
    loss = store.scalars(cnn.id, "train/loss")
    assert len(loss) == cnn.config["epochs"] * 23 and loss.value[-5:].mean() < loss.value[:5].mean()
    listing = _cli("runs", str(tmp_path / "d"))
    assert all(r.id in listing.stdout for r in runs) and "finished" in listing.stdout


def test_errors_are_one_clear_line(tmp_path):
    proc = _cli("runs", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "no torchscope store" in proc.stderr and "Traceback" not in proc.stderr
    proc = _cli("demo", "--epochs", "0", "--dir", str(tmp_path / "d"))
    assert proc.returncode == 2 and "--epochs must be at least 1" in proc.stderr


def test_version_and_help():
    assert ts.__version__ in _cli("version").stdout
    assert "demo" in _cli("--help").stdout


def test_demo_then_serves_the_dashboard(tmp_path):
    import time
    import urllib.request

    from tests.conftest import popen_python

    proc = popen_python("""
        import sys, webbrowser
        webbrowser.open = lambda url, *a, **k: print("browser opened on", url, flush=True)  # --open, seen
        from torchscope.cli import main
        sys.exit(main(["demo", "--quick", "--dir", sys.argv[1], "--port", "0", "--open"]))
    """, str(tmp_path / "d"))
    try:
        url = None
        deadline = time.time() + 120
        while time.time() < deadline and url is None:
            line = proc.stdout.readline()
            if line.strip().startswith("http://127.0.0.1:"):
                url = line.strip()
        assert url, "the demo did not print the dashboard's URL"
        for _ in range(50):
            try:
                body = urllib.request.urlopen(url + "api/runs", timeout=5).read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert "digits-cnn-lr0.003" in body and "digits-dcgan" in body and '"finished"' in body
        deadline = time.time() + 20
        while time.time() < deadline and not (line := proc.stdout.readline()).startswith("browser opened on"):
            pass
        assert line.split()[-1] == url  # the dashboard's own address: it opens on the Overview
    finally:
        proc.terminate()
        proc.wait(10)


def test_demo_on_your_own_data(tmp_path):
    import pytest

    mnist = ROOT.parent / "shared" / "data" / "mnist"
    if not (mnist / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("the MNIST test set is not beside the checkout")
    proc = _cli("demo", "--quick", "--epochs", "1", "--no-serve", "--data", str(mnist), "--dir", str(tmp_path / "d"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    store = ts.open(tmp_path / "d")
    (info,) = [r for r in store.runs() if r.name.endswith("-cnn-lr0.003")]
    assert info.config["data"] == str(mnist) and info.summary["val_acc"] > 0.5
    graph = store.latest(info.id, "model.graph")
    assert "28" in str(graph.to_dict()[0])  # the graph was captured at MNIST's size
    (gan,) = [r for r in store.runs() if r.name.endswith("-dcgan")]
    assert store.images(gan.id, "gan/samples")[-1].width > 28


def _tiny_store(path):
    with ts.init(project="p", name="r", dir=path) as run:
        run.log({"loss": 1.0}, step=0)
    return path


def test_a_port_out_of_range_is_one_clear_line_with_the_usage(tmp_path):
    proc = _cli("serve", str(_tiny_store(tmp_path / "s")), "--port", "99999", timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "http://" not in proc.stdout
    assert proc.stderr.startswith("usage: torchscope serve")
    assert "argument --port: 99999 is not a port number (0 to 65535" in proc.stderr.splitlines()[-1]


def test_a_taken_port_takes_the_next_and_says_so(tmp_path):
    import socket
    import time
    import urllib.request

    from tests.conftest import popen_python

    store = _tiny_store(tmp_path / "s")
    with socket.socket() as other:  # another server holds the port
        other.bind(("127.0.0.1", 0))
        other.listen()
        taken = other.getsockname()[1]
        proc = popen_python("""
            import sys
            from torchscope.cli import main
            sys.exit(main(["serve", sys.argv[1], "--port", sys.argv[2]]))
        """, str(store), str(taken))
        try:
            lines = [proc.stdout.readline(), proc.stdout.readline()]
            url = lines[1].strip()
            assert lines[0].startswith("torchscope dashboard for") and url.startswith("http://127.0.0.1:")
            port = int(url.rsplit(":", 1)[1].strip("/"))
            assert port != taken and taken < port <= taken + 10  # never the other server's URL
            for _ in range(100):
                try:
                    assert b'"version"' in urllib.request.urlopen(url + "api/health", timeout=5).read()
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                raise AssertionError("the dashboard did not answer on the port it printed")
        finally:
            proc.terminate()
            proc.wait(10)
        err = proc.stderr.read()
        assert f"torchscope: port {taken} is in use; trying {taken + 1}" in err and "Traceback" not in err


def test_every_port_taken_is_one_clear_error():
    import socket

    import pytest

    from torchscope.server.serve import listen

    held = []
    try:
        for _ in range(50):  # two neighbouring ports, both held
            a = socket.socket()
            a.bind(("127.0.0.1", 0))
            b = socket.socket()
            try:
                b.bind(("127.0.0.1", a.getsockname()[1] + 1))
            except OSError:
                a.close()
                b.close()
                continue
            held += [a, b]
            break
        for s in held:
            s.listen()
        port = held[0].getsockname()[1]
        with pytest.raises(OSError, match=rf"ports {port} to {port + 1} on 127.0.0.1 are all in use: give another"):
            listen("127.0.0.1", port, tries=2)
        with pytest.raises(ValueError, match="not a port number"):
            listen("127.0.0.1", 70000)
    finally:
        for s in held:
            s.close()


def test_a_bad_flag_prints_the_subcommands_usage():
    for cmd in ("demo", "serve", "runs"):
        proc = _cli(cmd, "--bogus", timeout=60)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert proc.stderr.startswith(f"usage: torchscope {cmd} "), proc.stderr
        assert proc.stderr.splitlines()[-1] == f"torchscope {cmd}: error: unrecognized arguments: --bogus"


def test_every_option_has_help():
    import argparse

    from torchscope.cli import build_parser

    parser = build_parser()
    (subs,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    missing = [f"{name} {act.option_strings or act.dest}" for name, sub in subs.choices.items()
               for act in sub._actions if not act.help]
    assert missing == []
    assert "random seed" in subs.choices["demo"].format_help()
    assert "only the runs of this project" in subs.choices["runs"].format_help()
