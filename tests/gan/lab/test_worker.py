"""The session worker: message protocol, frames, several sessions, bad input, save/load, idle stop."""

import base64
import json
import time

import pytest

from torchscope.gan.lab import LabSession, LabWorker

SMALL = {"width": 16, "batch_size": 64, "points": 64, "grid": 12, "manifold": 6}


@pytest.fixture
def worker():
    with LabWorker(idle_timeout=30) as w:
        yield w


def open_lab(w, **config):
    reply = w.handle({"type": "open", "config": {**SMALL, **config}})
    assert reply["ok"], reply
    return reply["session"]


def wait_step(w, sid, at_least, timeout=20.0):
    seq, end = -1, time.monotonic() + timeout
    while time.monotonic() < end:
        f = w.frame(sid, after=seq, timeout=0.5)
        if f is not None:
            seq = f["seq"]
            if f["step"] >= at_least:
                return f
    raise AssertionError(f"step {at_least} not reached")


def test_play_pause_and_frames(worker):
    sid = open_lab(worker)
    first = worker.frame(sid, after=-1)
    assert first["type"] == "frame" and first["step"] == 0 and first["session"] == sid
    assert worker.handle({"type": "play", "session": sid})["playing"] is True
    f = wait_step(worker, sid, 5)
    assert json.loads(json.dumps(f))["config"]["width"] == 16
    assert len(f["fake"]) == 128 and f["heat"]["size"] == 12 and len(f["manifold"]["opacity"]) == 25
    paused = worker.handle({"type": "pause", "session": sid})
    assert paused["ok"] and paused["playing"] is False
    time.sleep(0.2)
    step = worker.handle({"type": "status", "session": sid})["step"]
    time.sleep(0.3)
    assert worker.handle({"type": "status", "session": sid})["step"] == step


def test_single_steps_and_speed(worker):
    sid = open_lab(worker)
    assert worker.handle({"type": "step", "session": sid, "which": "d"})["step"] == 1
    assert worker.handle({"type": "step", "session": sid, "n": 4})["step"] == 5
    assert "n must be between 1 and 10000" in worker.handle({"type": "step", "session": sid, "n": 10**9})["error"]
    assert "which must be" in worker.handle({"type": "step", "session": sid, "which": "both!"})["error"]
    reply = worker.handle({"type": "speed", "session": sid, "steps_per_frame": 10, "fps": 500})
    assert reply["steps_per_frame"] == 10 and reply["fps"] == 120
    f = worker.frame(sid, after=-1)
    assert f["step"] == 5 and f["history"]["rows"] == 5


def test_slow_motion_streams_the_five_phases(worker):
    sid = open_lab(worker)
    worker.handle({"type": "speed", "session": sid, "phase_seconds": 0.01})
    reply = worker.handle({"type": "slow", "session": sid})
    assert reply["phases"] == ["sample", "classify", "loss", "gradients", "update"]
    seen, seq = [], -1
    while len(seen) < 5:
        f = worker.frame(sid, after=seq, timeout=5)
        seq = f["seq"]
        if f["phase"]:
            seen.append(f["phase"]["name"])
            assert f["phase"]["text"] and f["phase"]["count"] == 5
    assert seen == ["sample", "classify", "loss", "gradients", "update"]


def test_configure_takes_effect_and_bad_values_explain(worker):
    sid = open_lab(worker)
    reply = worker.handle({"type": "configure", "session": sid, "changes": {"loss": "lsgan", "lr_g": 2e-4}})
    assert reply["ok"] and reply["changed"] == ["loss", "lr_g"]
    assert worker.frame(sid, after=-1)["config"]["loss"] == "lsgan"
    bad = worker.handle({"type": "configure", "session": sid, "lr_d": -1})
    assert bad["ok"] is False and "lr_d must be a number >= 0" in bad["error"]
    assert worker.handle({"type": "jump", "session": sid})["error"].startswith("unknown command 'jump'")
    assert worker.handle({"type": "step", "session": sid})["step"] == 1  # still alive


@pytest.mark.parametrize("config, message", [
    ({"target": {"name": "drawn", "points": [[0.1, 0.2]]}}, "at least 2 distinct points"),
    ({"loss": "magic"}, "unknown loss"),
    ({"depth": 3}, "depth"),
])
def test_open_with_bad_settings_gives_a_message(worker, config, message):
    reply = worker.handle({"type": "open", "config": config})
    assert reply["ok"] is False and message in reply["error"]
    assert not worker.sessions


def test_diverging_session_pauses_with_a_message_and_stays_alive(worker):
    sid = open_lab(worker, lr_d=1e9, lr_g=1e9)
    worker.handle({"type": "play", "session": sid})
    f = wait_step(worker, sid, 1)
    end = time.monotonic() + 20
    while f["status"] != "diverged" and time.monotonic() < end:
        f = worker.frame(sid, after=f["seq"], timeout=0.5) or f
    assert f["status"] == "diverged" and "diverged" in f["message"]
    assert worker.handle({"type": "status", "session": sid})["playing"] is False
    assert worker.handle({"type": "configure", "session": sid, "lr_d": 1e-3, "lr_g": 1e-3})["ok"]
    assert worker.handle({"type": "step", "session": sid})["ok"]


def test_two_sessions_are_independent(worker):
    a, b = open_lab(worker, target="moons"), open_lab(worker, target="ring", seed=3)
    worker.handle({"type": "step", "session": a, "n": 6})
    worker.handle({"type": "configure", "session": b, "loss": "hinge"})
    fa, fb = worker.frame(a, after=-1), worker.frame(b, after=-1)
    assert (fa["step"], fb["step"]) == (6, 0)
    assert fa["config"]["target"]["name"] == "moons" and fb["config"]["target"]["name"] == "ring"
    assert fa["config"]["loss"] == "nonsaturating" and fb["config"]["loss"] == "hinge"
    worker.handle({"type": "close", "session": a})
    assert list(worker.sessions) == [b]
    assert worker.handle({"type": "step", "session": a})["ok"] is False


def test_save_and_load_through_the_protocol(worker):
    sid = open_lab(worker, loss="hinge")
    worker.handle({"type": "step", "session": sid, "n": 4})
    state = worker.handle({"type": "save", "session": sid})["state"]
    assert isinstance(state, bytes)
    other = open_lab(worker)
    reply = worker.handle({"type": "load", "session": other, "state": base64.b64encode(state).decode()})
    assert reply["ok"] and reply["step"] == 4
    assert worker.frame(other, after=-1)["config"]["loss"] == "hinge"
    bad = worker.handle({"type": "load", "session": other, "state": b"garbage"})
    assert bad["ok"] is False and "cannot read this lab state" in bad["error"]


def test_reset_and_session_limit():
    with LabWorker(max_sessions=1) as w:
        sid = open_lab(w)
        w.handle({"type": "step", "session": sid, "n": 3})
        assert w.handle({"type": "reset", "session": sid})["step"] == 0
        assert "too many lab sessions" in w.handle({"type": "open"})["error"]


def test_idle_session_stops_by_itself():
    s = LabSession(SMALL, idle_timeout=0.3)
    s.send({"type": "play"})
    time.sleep(1.5)
    assert s.closed.is_set() and not s._thread.is_alive()
    assert s.send({"type": "step"})["ok"] is False
