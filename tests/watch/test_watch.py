"""run.watch: statistics on known tensors, NaN attribution, alarms, hook removal."""

from __future__ import annotations

import gc
import math

import pytest
import torch
from torch import nn

import torchscope as ts
from torchscope.watch import HealthMonitor
from torchscope.watch.stats import activation_stats


class Poison(nn.Module):
    """Multiplies its input by NaN at one training step (counted by its own forward calls)."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at, self.calls = at, -1

    def forward(self, x):
        self.calls += 1
        return x * float("nan") if self.calls == self.at else x


def _train(run, model, steps, lr=0.05, opt=None, watch_kw=None, batch=16, features=8):
    opt = opt or torch.optim.SGD(model.parameters(), lr=lr)
    torch.manual_seed(0)
    run.watch(model, optimizer=opt, **(watch_kw or {}))
    for _ in range(steps):
        x = torch.randn(batch, features)
        loss = model(x).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        run.log({"train/loss": loss.detach()})
    return opt


def _alarms(store_dir):
    store = ts.open(store_dir)
    (info,) = store.runs()
    return store, info, [e.record for e in store.records(info.id, kind="health.alarm")]


def _assert_no_hooks(model):
    for m in model.modules():
        assert not m._forward_hooks and not m._forward_pre_hooks and not m._backward_hooks
        for p in m.parameters(recurse=False):
            assert not p._post_accumulate_grad_hooks


def test_activation_stats_on_known_tensors():
    x = torch.tensor([[0.0, 1.0, 0.0, 3.0], [0.0, 2.0, 0.0, -2.0]])  # features 0 and 2 dead
    mean, std, zero, dead, bad = activation_stats(x).tolist()
    assert mean == pytest.approx(0.5) and std == pytest.approx(x.std().item())
    assert zero == pytest.approx(0.5) and dead == pytest.approx(0.5) and bad == 0.0
    conv = torch.ones(2, 4, 3, 3)
    conv[:, 1] = 0  # one dead channel of four
    assert activation_stats(conv).tolist()[3] == pytest.approx(0.25)
    assert activation_stats(torch.tensor([1.0, float("inf")])).tolist()[4] == 1.0


def test_layer_statistics_are_logged_every_n_steps(store_dir):
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    with ts.init(dir=store_dir) as run:
        _train(run, model, 25, watch_kw={"every": 10})
    store = ts.open(store_dir)
    rid = store.runs()[0].id
    keys = {k.key for k in store.keys(rid, "scalar")}
    for stat in ("act_mean", "act_std", "act_zero", "dead", "grad_norm", "weight_norm", "update_ratio"):
        assert f"watch/0/{stat}" in keys
    assert "watch/lr/group0" in keys and "watch/1/grad_norm" not in keys  # ReLU has no parameters
    assert store.scalars(rid, "watch/0/grad_norm").step.tolist() == [0, 10, 20]
    assert store.scalars(rid, "watch/lr/group0").value.tolist() == [0.05] * 3
    hists = {k.key for k in store.keys(rid, "histogram")}
    assert {"watch/0/weight", "watch/0/weight.grad", "watch/2/bias"} <= hists
    ratio = store.scalars(rid, "watch/0/update_ratio").value
    assert 0 < ratio[0] < 1  # ||lr * grad|| / ||W||


def test_weight_and_gradient_norms_are_exact(store_dir):
    model = nn.Linear(3, 1, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, 2.0, 2.0]]))
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    with ts.init(dir=store_dir) as run:
        run.watch(model, every=1, optimizer=opt)
        x = torch.tensor([[1.0, 0.0, 0.0]])
        model(x).sum().backward()  # grad = x = [1, 0, 0]
        opt.step()
        model(x)  # the next step hands the first one over
    store = ts.open(store_dir)
    rid = store.runs()[0].id
    assert store.scalars(rid, "watch/Linear/weight_norm").value[0] == pytest.approx(3.0)
    assert store.scalars(rid, "watch/Linear/grad_norm").value[0] == pytest.approx(1.0)
    assert store.scalars(rid, "watch/Linear/update_ratio").value[0] == 0.0


def test_injected_nan_is_attributed_to_its_layer(store_dir):
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), Poison(at=7), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
    with ts.init(dir=store_dir) as run:
        _train(run, model, 12, watch_kw={"every": 100})
    _, _, alarms = _alarms(store_dir)
    by_type = {a.type: a for a in alarms}
    assert by_type["nonfinite_output"].layer == "2" and by_type["nonfinite_output"].step == 7
    assert by_type["nonfinite_grad"].step == 7
    assert by_type["loss_divergence"].step == 7 and by_type["loss_divergence"].key == "train/loss"


def test_dead_relu_layer_is_flagged(store_dir):
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
    with torch.no_grad():
        model[2].bias.fill_(-100.0)  # every unit of the second ReLU is off
    with ts.init(dir=store_dir) as run:
        _train(run, model, 3, lr=0.0, watch_kw={"every": 1})
    _, _, alarms = _alarms(store_dir)
    dead = [a for a in alarms if a.type == "dead_relu"]
    assert [a.layer for a in dead] == ["3"] and dead[0].value == 1.0 and dead[0].key == "watch/3/dead"


def test_exploding_gradients_and_too_high_learning_rate(store_dir):
    model = nn.Sequential(nn.Linear(8, 8), nn.Linear(8, 1))
    with ts.init(dir=store_dir) as run:
        _train(run, model, 40, lr=3.0, watch_kw={"every": 1})
    _, _, alarms = _alarms(store_dir)
    types = {a.type for a in alarms}
    assert {"exploding_grad", "lr_too_high"} <= types


def test_healthy_training_raises_no_alarm(store_dir):
    model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
    with ts.init(dir=store_dir) as run:
        _train(run, model, 60, lr=0.01, watch_kw={"every": 5})
    _, _, alarms = _alarms(store_dir)
    assert alarms == []


def test_loss_plateau_and_divergence_checks():
    mon = HealthMonitor(stream=None)
    flat = [1.0 + 0.001 * math.sin(i) for i in range(2 * mon.plateau_points)]
    assert [a.type for a in mon.check_loss("loss", list(range(len(flat))), flat)] == ["loss_plateau"]
    mon = HealthMonitor(stream=None)
    falling = [2.0 / (1 + i) for i in range(2 * mon.plateau_points)]
    assert mon.check_loss("loss", list(range(len(falling))), falling) == []
    climbing = [*falling[:20], 50.0]
    mon = HealthMonitor(stream=None)
    assert [a.type for a in mon.check_loss("loss", list(range(21)), climbing)] == ["loss_divergence"]


def test_evaluation_passes_are_not_steps(store_dir):
    model = nn.Sequential(nn.Linear(8, 4))
    with ts.init(dir=store_dir) as run:
        watcher = run.watch(model, every=2)
        model.eval()
        for _ in range(5):
            model(torch.randn(2, 8))
        assert watcher.step == -1
        model.train()
        model(torch.randn(2, 8))
        assert watcher.step == 0


@pytest.mark.parametrize("how", ["finish", "unwatch", "exception"])
def test_hooks_are_removed(store_dir, how):
    model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
    if how == "exception":
        with pytest.raises(RuntimeError, match="boom"), ts.init(dir=store_dir) as run:
            run.watch(model, every=1)
            model(torch.randn(2, 8)).sum().backward()
            raise RuntimeError("boom")
    else:
        run = ts.init(dir=store_dir)
        run.watch(model, every=1)
        model(torch.randn(2, 8)).sum().backward()
        run.unwatch(model) if how == "unwatch" else run.finish()
        run.finish()
    _assert_no_hooks(model)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    model(torch.randn(2, 8))
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())


def test_bad_arguments(store_dir):
    model = nn.Linear(2, 2)
    with ts.init(dir=store_dir) as run:
        with pytest.raises(TypeError, match=r"needs a torch\.nn\.Module"):
            run.watch("model")
        with pytest.raises(ValueError, match="every must be a positive int"):
            run.watch(model, every=0)
        with pytest.raises(ValueError, match="log must be one of"):
            run.watch(model, log="weights")
        run.watch(model)
        with pytest.raises(ValueError, match="already watched"):
            run.watch(model)
    _assert_no_hooks(model)


def test_memory_does_not_grow_over_many_steps(store_dir):
    import tracemalloc

    model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    with ts.init(dir=store_dir) as run:
        run.watch(model, every=10, optimizer=opt, histograms=False)

        def steps(n):
            for _ in range(n):
                loss = model(torch.randn(4, 8)).pow(2).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
            run.flush()
            gc.collect()

        steps(200)
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        steps(1000)
        grown = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
    assert grown < 512 * 1024, f"memory grew by {grown} bytes over 1000 watched steps"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_unsampled_steps_never_sync_the_host(store_dir):
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1)).cuda()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(16, 8, device="cuda")
    with ts.init(dir=store_dir) as run:
        run.watch(model, every=1000, optimizer=opt)
        model(x).sum().backward()  # step 0 is sampled
        torch.cuda.synchronize()
        torch.cuda.set_sync_debug_mode("error")
        try:
            for _ in range(20):
                loss = model(x).pow(2).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                run.log({"loss": loss})
        finally:
            torch.cuda.set_sync_debug_mode("default")
    store = ts.open(store_dir)
    assert len(store.scalars(store.runs()[0].id, "loss")) == 20


def test_per_step_checks_can_be_turned_off(store_dir):
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), Poison(at=3), nn.Linear(16, 1))
    with ts.init(dir=store_dir) as run:
        _train(run, model, 6, watch_kw={"every": 100, "check_nonfinite": False})
    _, _, alarms = _alarms(store_dir)
    assert not any(a.type.startswith("nonfinite") for a in alarms)  # only sampled steps are looked at
    assert any(a.type == "loss_divergence" for a in alarms)  # the logged loss still says it


def _net():
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 4))


def test_graph_is_logged_from_the_first_call_without_changing_training(store_dir):
    model, twin = _net(), _net()
    with ts.init(dir=store_dir) as run:
        _train(run, model, steps=3, watch_kw={"every": 1, "graph": True})
        assert not model[0]._forward_pre_hooks and not model._forward_pre_hooks  # the one-shot hook is gone
        assert model.training
    opt = torch.optim.SGD(twin.parameters(), lr=0.05)
    torch.manual_seed(0)
    for _ in range(3):  # the same training without watch: same data, same dropout masks
        loss = twin(torch.randn(16, 8)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    for a, b in zip(model.parameters(), twin.parameters()):
        assert torch.equal(a, b)  # the extra eval forward drew no random numbers and changed nothing
    store = ts.open(store_dir)
    rid = store.runs()[0].id
    graph = store.latest(rid, "model.graph")
    summary = store.latest(rid, "model.summary")
    assert summary.rows[0]["output_shapes"] == [[16, 4]]  # captured from the real batch
    assert {"0", "1", "2", "3"} <= {n.get("name") for n in graph.nodes}
    assert store.scalars(rid, "watch/0/grad_norm").step.tolist() == [0, 1, 2]  # the capture is not a step
    assert store.scalars(rid, "train/loss").step.tolist() == [0, 1, 2]  # nor does it move the run's steps
    assert store.records(rid, kind="model.graph")[0].step == 0
    _assert_no_hooks(model)


def test_graph_failure_warns_and_training_goes_on(store_dir):
    class Picky(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(8, 4)

        def forward(self, x):
            if not self.training:
                raise RuntimeError("eval mode is not supported")
            return self.lin(x)

    model = Picky()
    partial = "the logged graph is partial: .*eval mode is not supported"
    with ts.init(dir=store_dir) as run, pytest.warns(RuntimeWarning, match=partial):
        _train(run, model, steps=2, watch_kw={"graph": True})
    assert ts.open(store_dir).runs()[0].status == "finished"


def test_watch_leaves_the_runs_auto_steps_alone(store_dir):
    with ts.init(dir=store_dir) as run:  # histograms at watch's own steps used to move the run's counter
        _train(run, nn.Sequential(nn.Linear(8, 4)), steps=3, watch_kw={"every": 1})
    store = ts.open(store_dir)
    rid = store.runs()[0].id
    assert store.scalars(rid, "train/loss").step.tolist() == [0, 1, 2]
    assert [h.step for h in store.histograms(rid, "watch/0/weight.grad")] == [0, 1, 2]


class PublicOnly:
    """A run seen through its public attributes only: what an extension may use."""

    def __init__(self, run) -> None:
        object.__setattr__(self, "_run", run)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(f"watch used the run's private {name!r}")
        return getattr(object.__getattribute__(self, "_run"), name)


def test_the_watcher_needs_only_the_runs_public_hooks(store_dir):
    """The Watcher works against the public extension API (no private Run methods or tuples)."""
    from torchscope.watch import Watcher

    model = nn.Sequential(nn.Linear(8, 4), nn.ReLU(), Poison(at=2), nn.Linear(4, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    with ts.init(dir=store_dir) as run:
        watcher = Watcher(PublicOnly(run), model, every=1, optimizer=opt)
        for _ in range(3):
            loss = model(torch.randn(16, 8)).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.log({"train/loss": loss.detach()})
        watcher.remove()
    store, info, alarms = _alarms(store_dir)
    assert store.scalars(info.id, "watch/0/grad_norm").step.tolist() == [0, 1, 2]
    assert store.scalars(info.id, "watch/lr/group0").value.tolist() == [0.05, 0.05, 0.05]
    assert [h.step for h in store.histograms(info.id, "watch/0/weight")] == [0, 1, 2]
    assert {a.type for a in alarms} >= {"nonfinite_output"}
    assert store.scalars(info.id, "train/loss").step.tolist() == [0, 1, 2]
