"""Lab2D: training, frames, slow motion, live changes, robustness, save/reload, figure."""

import json
import math

import numpy as np
import pytest
import torch

from torchscope.gan import Lab2D, LabFrame
from torchscope.records import rebuild

SMALL = {"width": 16, "batch_size": 64, "points": 64, "grid": 12, "manifold": 6, "metric_every": 5}


def params(net):
    return torch.cat([p.detach().reshape(-1) for p in net.parameters()])


def test_step_trains_and_records_curves():
    lab = Lab2D(**SMALL)
    g0, d0 = params(lab.G), params(lab.D)
    row = lab.step(10)
    assert lab.steps == 10 and row["step"] == 10
    assert set(row) >= {"d_loss", "g_loss", "d_real", "d_fake", "d_grad", "g_grad"}
    assert not torch.equal(params(lab.G), g0) and not torch.equal(params(lab.D), d0)
    assert len(lab.history) == 10 and lab.metrics.columns()["step"] == [5.0, 10.0]


def test_step_d_or_g_only_moves_that_network():
    lab = Lab2D(**SMALL)
    g0, d0 = params(lab.G), params(lab.D)
    lab.step(which="d")
    assert torch.equal(params(lab.G), g0) and not torch.equal(params(lab.D), d0)
    d1 = params(lab.D)
    lab.step(which="g")
    assert torch.equal(params(lab.D), d1) and not torch.equal(params(lab.G), g0)
    with pytest.raises(ValueError, match="which must be"):
        lab.step(which="x")


def test_frame_holds_every_layer():
    lab = Lab2D(**SMALL)
    lab.step(5)
    f = lab.frame()
    assert f.kind == "gan.lab2d.frame" and f.step == 5
    assert f.real.shape == f.fake.shape == f.arrows.shape == (64, 2)
    assert f.heat.shape == (12, 12) and f.heat.min() >= 0 and f.heat.max() <= 1
    assert f.manifold.shape == (6, 6, 2) and f.opacity.shape == (5, 5)
    assert f.centers.shape == (8, 2) and f.latest["modes"] == 8
    assert f.history["step"][-1] == 5 and f.status == "ok" and f.message == ""
    msg = json.loads(json.dumps(f.to_message(history_since=3), allow_nan=False))  # strict JSON for browsers
    assert len(msg["real"]) == 128 and len(msg["heat"]["values"]) == 144
    assert msg["history"]["step"] == [4.0, 5.0] and msg["history"]["rows"] == 5
    data, blobs = f.to_dict()
    back = rebuild(f.kind, data, blobs)
    assert isinstance(back, LabFrame) and np.array_equal(back.heat, f.heat)


def test_arrows_point_where_the_generator_loss_decreases():
    lab = Lab2D(**SMALL)
    lab.step(20)
    f = lab.frame()
    x = torch.as_tensor(f.fake)
    moved = x + 1e-3 * torch.as_tensor(f.arrows) / torch.as_tensor(f.arrows).norm(dim=1, keepdim=True).clamp_min(1e-12)

    def per_point(p):
        return torch.stack([lab.loss.g(lab.D(q[None]).reshape(-1)) for q in p])

    with torch.no_grad():
        assert float((per_point(moved) <= per_point(x) + 1e-7).float().mean()) > 0.95


def test_heat_map_and_manifold_come_from_batched_forwards():
    lab = Lab2D(**SMALL)
    calls = []
    hook = lab.D.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[0]))
    try:
        lab.frame()
    finally:
        hook.remove()
    assert 144 in calls and len(calls) <= 3  # heat map in one pass (plus arrows)


def test_phases_walk_through_one_step():
    lab = Lab2D(**SMALL)
    phases = lab.phases()
    assert [p["name"] for p in phases] == ["sample", "classify", "loss", "gradients", "update"]
    assert all(p["text"].endswith(".") and len(p["text"]) > 30 for p in phases)
    assert phases[3]["data"]["arrows"].shape[1] == 2
    assert not np.array_equal(phases[4]["data"]["before"], phases[4]["data"]["after"])
    assert lab.steps == 1 and math.isfinite(phases[2]["data"]["d_loss"])


def test_configure_while_running():
    lab = Lab2D(**SMALL)
    lab.step(3)
    g_before = params(lab.G)
    assert lab.configure(lr_g=5e-4, loss="hinge", d_steps=2) == ["lr_g", "loss", "d_steps"]
    assert lab.opt_g.param_groups[0]["lr"] == 5e-4 and lab.loss.name == "hinge"
    assert torch.equal(params(lab.G), g_before)  # no rebuild for these
    lab.configure(width=8, z_dim=3)  # architecture: rebuilt
    assert lab.G[0].in_features == 3 and lab.G[0].out_features == 8
    lab.configure(optimizer="sgd", target="moons")
    assert isinstance(lab.opt_d, torch.optim.SGD) and lab.frame().centers.shape == (0, 2)
    lab.step(2)
    assert lab.steps == 5 and "changed optimizer, target" in lab.frame().latest["event"]


@pytest.mark.parametrize("changes, message", [
    ({"loss": "wgan"}, None), ({"loss": "nope"}, "unknown loss"), ({"lr_d": -1}, "lr_d must be a number >= 0"),
    ({"optimizer": "rmsprop"}, "unknown optimizer"), ({"width": 0}, r"width must be an integer in \[1, 1024\]"),
    ({"speed": 3}, "unknown setting"), ({"target": {"name": "drawn", "points": [[0, 0]]}}, "at least 2 distinct"),
])
def test_bad_settings_explain_and_change_nothing(changes, message):
    lab = Lab2D(**SMALL)
    before = lab.config.to_dict()
    if message is None:
        lab.configure(**changes)
        return
    with pytest.raises(ValueError, match=message):
        lab.configure(**changes)
    assert lab.config.to_dict() == before
    lab.step()


def test_learning_rate_zero_warns_in_the_frame():
    lab = Lab2D(lr_g=0.0, **SMALL)
    g0 = params(lab.G)
    lab.step(3)
    f = lab.frame()
    assert torch.equal(params(lab.G), g0)
    assert f.status == "warning" and "lr_g is 0: G will not learn" in f.message


def test_huge_learning_rate_diverges_into_a_message_not_an_exception():
    lab = Lab2D(lr_d=1e9, lr_g=1e9, **SMALL)
    lab.step(30)
    f = lab.frame()
    json.dumps(f.to_message(), allow_nan=False)
    assert f.status == "diverged" and "diverged" in f.message and "lower the learning rates" in f.message
    assert np.isfinite(f.fake).all() and np.isfinite(f.heat).all()
    assert all(math.isfinite(v) for v in lab.history.columns()["d_loss"])
    lab.configure(lr_d=1e-3, lr_g=1e-3)  # the lab is alive: fix it and go on
    lab.step(5)
    assert lab.frame().status == "ok"


def test_nan_weights_are_caught_and_rolled_back():
    lab = Lab2D(**SMALL)
    lab.step(25)
    with torch.no_grad():
        lab.G[0].weight[0, 0] = float("nan")
    lab.step(1)
    assert lab.status == "diverged" and torch.isfinite(params(lab.G)).all()


def test_reset_is_reproducible_and_seeds_differ():
    a, b = Lab2D(**SMALL), Lab2D(**SMALL)
    a.step(5)
    b.step(5)
    assert torch.equal(params(a.G), params(b.G))
    epoch = a.frame().history["epoch"][0]
    a.reset()
    assert a.frame().history["epoch"][0] > epoch  # a streaming client knows to refetch the curves
    assert a.steps == 0 and len(a.history) == 0 and torch.equal(params(a.G), params(Lab2D(**SMALL).G))
    assert not torch.equal(params(Lab2D(seed=1, **SMALL).G), params(a.G))


def test_save_and_reload_continues_exactly(tmp_path):
    lab = Lab2D(target={"name": "drawn", "points": [[0, 0], [0.5, 0.5], [1, 0]]}, loss="lsgan", **SMALL)
    lab.step(7)
    path = lab.save(tmp_path / "lab.pt")
    again = Lab2D.load(path)
    assert again.steps == 7 and again.config == lab.config
    assert again.history.columns() == lab.history.columns()
    lab.step(3)
    again.step(3)
    assert torch.equal(params(lab.G), params(again.G)) and torch.equal(params(lab.D), params(again.D))
    with pytest.raises(ValueError, match="not a GAN lab state"):
        again.load_state_dict({"G": {}})


def test_figure_draws_every_layer(tmp_path):
    lab = Lab2D(**SMALL)
    lab.step(10)
    fig = lab.figure()
    assert len(fig.axes) == 4
    canvas = fig.axes[0]
    assert canvas.images and canvas.collections  # heat map; mesh, points, arrows
    lab.frame().save(tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 10_000
    assert "<img src='data:image/png;base64," in lab._repr_html_()


@pytest.fixture
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny MLPs: one intra-op thread is fastest (and fair on a busy 2-core box)
    yield
    torch.set_num_threads(before)


def test_nonsaturating_gan_covers_the_ring_of_eight_gaussians(one_thread):
    lab = Lab2D(target="ring", loss="nonsaturating", seed=0, metric_every=1000)
    for _ in range(30):
        lab.step(50)
        if lab.coverage()["covered"] == 8:
            break
    cov = lab.coverage()
    assert cov["covered"] == 8, cov
    assert lab.steps <= 1500 and cov["high_quality"] > 0.3


def test_history_is_bounded_and_thinned_with_a_new_epoch():
    from torchscope.gan.lab.history import History

    h = History(("step", "v"), cap=10)
    for i in range(11):
        h.add(step=i, v=i * 2)
    assert len(h) == 6 and h.epoch == 1 and h.columns()["step"] == [0, 2, 4, 6, 8, 10]
    h.add(step=11)
    assert math.isnan(h.last()["v"])


@pytest.fixture
def three_threads():
    """torch's intra-op thread count set to 3 for the test (a notebook's default on a bigger machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    yield 3
    torch.set_num_threads(before)


@pytest.mark.parametrize("call", ["step", "frame", "coverage", "phases"])
def test_small_networks_run_on_one_thread_and_the_count_comes_back(call, three_threads):
    lab = Lab2D(**SMALL)
    seen = []
    lab.G.register_forward_pre_hook(lambda m, a: seen.append(torch.get_num_threads()))
    getattr(lab, call)()
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == three_threads


@pytest.mark.parametrize("call", ["step", "frame", "phases"])
def test_the_thread_count_comes_back_when_the_call_raises(call, three_threads):
    lab = Lab2D(**SMALL)
    seen = []

    def boom(module, args):
        seen.append(torch.get_num_threads())
        raise RuntimeError("boom")

    lab.D.register_forward_pre_hook(boom)
    with pytest.raises(RuntimeError, match="boom"):
        getattr(lab, call)()
    assert seen == [1] and torch.get_num_threads() == three_threads


def test_big_networks_keep_torchs_threads(three_threads):
    lab = Lab2D(**{**SMALL, "width": 512, "batch_size": 2048})  # 0.5M parameters x 2048 rows per update
    with lab._threads():  # what step() and frame() run under (a step here takes seconds)
        assert torch.get_num_threads() == three_threads
    with Lab2D(**SMALL)._threads():
        assert torch.get_num_threads() == 1
