"""The monitor on a user-style GAN loop: what it logs, its timeline and GIF, alarms, hook removal."""

import math

import pytest
import torch
from torch import nn

import torchscope as ts


def _nets():
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 64), nn.Tanh(), nn.Unflatten(1, (1, 8, 8)))
    D = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
    return G, D


def _loop(mon, G, D, steps, x_real, *, d_loss_override=None):
    opt_g, opt_d = torch.optim.Adam(G.parameters(), 1e-3), torch.optim.Adam(D.parameters(), 1e-3)
    bce = nn.BCEWithLogitsLoss()
    for i in range(steps):
        z = torch.randn(16, 8)
        fake = G(z)
        d_real, d_fake = D(x_real), D(fake.detach())
        d_loss = bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = bce(D(fake), torch.ones_like(d_fake))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        if d_loss_override is not None and i == steps - 2:
            d_loss = torch.tensor(d_loss_override)
        mon.step(d_loss=d_loss, g_loss=g_loss, d_real=d_real, d_fake=d_fake)


def test_monitor_logs_losses_d_outputs_norms_and_a_fixed_noise_timeline(store_dir, tmp_path):
    G, D = _nets()
    run = ts.init(project="gan", dir=store_dir)
    with ts.gan.Monitor(run, G, D, z_dim=8, fixed_noise=16, every=5, stream=None) as mon:
        _loop(mon, G, D, 12, torch.rand(16, 1, 8, 8) * 2 - 1)
    run.finish()
    with ts.open(store_dir) as st:
        for key in ("d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm", "d_grad_norm"):
            values = st.scalars(run.id, f"gan/{key}").value
            assert len(values) == 12 and all(math.isfinite(v) for v in values), key
        assert all(0 <= v <= 1 for v in st.scalars(run.id, "gan/d_fake").value)  # logits became probabilities
        assert [e.step for e in st.images(run.id, "gan/samples")] == [0, 5, 10]
        assert st.latest(run.id, "gan.monitor")["z_dim"] == 8
        tl = ts.gan.timeline(st, run.id)
    assert tl.steps == mon.frame_steps == [0, 5, 10]
    assert not (tl.frames[0] == tl.frames[-1]).all()  # the samples changed while training
    gif = mon.gif(tmp_path / "t.gif")
    from PIL import Image

    with Image.open(gif) as im:
        assert im.n_frames == 3
    tl.save(tmp_path / "timeline.png")


def test_gradient_norms_come_from_optimizer_hooks_that_are_removed():
    G, D = _nets()
    opt_g, opt_d = torch.optim.SGD(G.parameters(), 0.1), torch.optim.SGD(D.parameters(), 0.1)

    class Recorder:
        def __init__(self):
            self.logged = []

        def log(self, data, step=None):
            self.logged.append(data)

        def log_image(self, *a, **k):
            pass

        def log_record(self, *a, **k):
            pass

    rec = Recorder()
    mon = ts.gan.Monitor(rec, G, D, z_dim=8, g_optimizer=opt_g, d_optimizer=opt_d, every=100, stream=None)
    D(G(torch.randn(4, 8))).mean().backward()
    expected = torch.nn.utils.get_total_norm([p.grad for p in D.parameters()])
    opt_d.step()
    D.zero_grad()
    mon.step(d_loss=0.5)
    assert rec.logged[0]["gan/d_grad_norm"] == pytest.approx(float(expected))
    assert "gan/g_grad_norm" not in rec.logged[0]  # G's optimizer did not step
    mon.close()
    assert not opt_g._optimizer_step_pre_hooks and not opt_d._optimizer_step_pre_hooks


def test_alarms_for_divergence_and_a_winning_discriminator(store_dir):
    G, D = _nets()
    run = ts.init(project="gan", dir=store_dir)
    mon = ts.gan.Monitor(run, G, D, z_dim=8, every=1, stream=None)
    _loop(mon, G, D, 4, torch.rand(8, 1, 8, 8), d_loss_override=float("nan"))
    for i in range(4):
        mon.step(d_fake=torch.full((16,), -12.0), step=10 + i)  # D(G(z)) pinned at 0
    run.finish()
    types = [a.type for a in mon.alarms]
    assert types == ["divergence", "d_winning"]
    with ts.open(store_dir) as st:
        stored = [e.record.type for e in st.records(run.id, key="gan/alarms")]
    assert stored == types


def test_mode_collapse_when_every_sample_is_the_same(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("TORCHSCOPE_CACHE", str(tmp_path_factory.getbasetemp() / "gan-cache"))
    G = nn.Sequential(nn.Linear(8, 64), nn.Unflatten(1, (1, 8, 8)))
    with torch.no_grad():
        G[0].weight.zero_()  # a constant image whatever z
    from torchscope.gan.train import _NullRun

    mon = ts.gan.Monitor(_NullRun(), G, None, z_dim=8, every=1, real=ts.data.load("digits"),
                         metrics_every=10**9, stream=None)
    mon.step(g_loss=1.0)
    assert [a.type for a in mon.alarms] == ["mode_collapse"]
