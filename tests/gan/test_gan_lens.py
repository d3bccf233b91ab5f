"""The GAN as a lens: interpolation, directions and explorer speed, neighbours, prototypes, counterfactuals."""

import os
import time

import numpy as np
import pytest
import torch

import torchscope as ts


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A briefly trained digits DCGAN and the (session-cached) digits classifier."""
    old = os.environ.get("TORCHSCOPE_CACHE")
    os.environ["TORCHSCOPE_CACHE"] = str(tmp_path_factory.getbasetemp() / "gan-cache")
    try:
        ds = ts.data.load("digits")
        gan = ts.gan.train_dcgan(ds, epochs=3, metrics=False, progress=False, z_dim=16, width=32)
        yield ds, gan.generator.eval(), ts.gan.feature_extractor(ds)
    finally:
        if old is None:
            os.environ.pop("TORCHSCOPE_CACHE", None)
        else:
            os.environ["TORCHSCOPE_CACHE"] = old


@pytest.mark.parametrize("mode", ["linear", "slerp"])
def test_interpolation_starts_and_ends_at_the_two_codes(trained, mode, tmp_path):
    _ds, G, fx = trained
    z0, z1 = torch.randn(16), torch.randn(16)
    rec = ts.gan.interpolate(G, z0, z1, steps=5, mode=mode, classifier=fx)
    assert rec.images.shape == (5, 8, 8, 1) and rec.probs.shape == (5, 10)
    assert np.allclose(rec.z[0], z0, atol=1e-5) and np.allclose(rec.z[-1], z1, atol=1e-5)
    rec.save(tmp_path / "interp.png")


def test_directions_and_the_explorer_answer_a_slider_move_under_100_ms(trained, tmp_path):
    _ds, G, _fx = trained
    dirs = ts.gan.directions(G, k=4, samples=500)
    assert dirs.u.shape == (4, 16) and dirs.images.shape[:2] == (4, 7)
    assert np.allclose(np.linalg.norm(dirs.u, axis=1), 1) and sorted(dirs.explained, reverse=True) == dirs.explained
    ex = ts.gan.LatentExplorer(G, dirs)
    assert not np.array_equal(ex.image([3.0]), ex.image([-3.0]))
    ex.png([1.0])
    start = time.perf_counter()
    for i in range(20):
        ex.png([i / 5 - 2, 1.0])
    assert (time.perf_counter() - start) / 20 < 0.1
    dirs.save(tmp_path / "dirs.png")


def test_a_real_image_is_its_own_nearest_neighbour(trained, tmp_path):
    ds, _G, fx = trained
    x, _ = ts.gan._util.dataset_tensors(ds.subset([0, 1, 2]))
    rec = ts.gan.neighbours(x, ds, k=3, space="pixels")
    assert rec.indices[:, 0].tolist() == [0, 1, 2] and np.allclose(rec.distances[:, 0], 0)
    assert max(rec.ratio) < 1e-6  # what memorization looks like
    feat = ts.gan.neighbours(x, ds, k=2, extractor=fx)
    assert feat.images.shape == (3, 2, 8, 8, 1)
    feat.save(tmp_path / "nn.png")


def test_latent_optimization_raises_the_target_class_score(trained, tmp_path):
    ds, G, fx = trained
    rec = ts.gan.prototypes(G, fx, ["3", "8"], dataset=ds, steps=60, starts=6)
    assert rec.images.shape == (2, 8, 8, 1) and rec.means.shape == (2, 8, 8, 1)
    assert all(p >= s for s, p in zip(rec.start_probs, rec.probs)), (rec.start_probs, rec.probs)
    assert rec.probs[0] > rec.start_probs[0] + 0.2  # '3' is rare from a barely trained generator
    rec.save(tmp_path / "proto.png")


def test_a_counterfactual_path_turns_a_3_into_an_8(trained, tmp_path):
    _ds, G, fx = trained
    rec = ts.gan.counterfactual(G, fx, "3", "8", steps=200, points=5)
    s, t = rec.class_names.index("3"), rec.class_names.index("8")
    assert rec.probs[-1, t] > rec.probs[0, t] and rec.probs[-1, t] > 0.5 and rec.distance > 0
    assert rec.images.shape == (5, 8, 8, 1) and rec.probs[0, s] > rec.probs[-1, s]
    rec.save(tmp_path / "cf.png")
    back = ts.gan.Counterfactual.from_dict(*rec.to_dict())
    assert back.source == "3" and np.array_equal(back.images, rec.images)


def test_progress_callbacks_report_every_step_and_can_stop_the_work(trained):
    ds, G, fx = trained
    seen = []
    means = ts.gan.class_means(ds)
    rec = ts.gan.prototypes(G, fx, ["3"], means=means, steps=12, starts=2, callback=lambda d, t: seen.append((d, t)))
    assert seen == [(i, 12) for i in range(1, 13)] and np.array_equal(rec.means[0], means[3])
    assert means.shape == (10, 8, 8, 1) and means.dtype == np.uint8

    def stop(done, total):
        if done == 3:
            raise KeyboardInterrupt("stop")

    buffers = [b.clone() for b in G.buffers()]
    with pytest.raises(KeyboardInterrupt):
        ts.gan.counterfactual(G, fx, "3", "8", steps=50, confidence=1.1, callback=stop)
    assert G.training is False and all(torch.equal(a, b) for a, b in zip(buffers, G.buffers()))  # left as it was
    ends = []
    ts.gan.counterfactual(G, fx, "3", "8", steps=40, callback=lambda d, t: ends.append(d))
    assert ends[-1] == 40  # done == total at the end, also when it stops early


def test_a_classifier_checkpoint_carries_its_class_means(trained, store_dir):
    ds, _G, fx = trained
    run = ts.init(project="gan", dir=store_dir)
    rec = ts.gan.save_checkpoint(run, fx, role="classifier", real=ds)
    run.finish()
    assert rec.meta["class_names"] == ds.class_names and rec.meta["extractor"] == fx.id
    with ts.open(store_dir) as st:
        back = st.latest(run.id, "gan.checkpoint", key="gan/checkpoint/classifier")
    assert np.array_equal(back.means, ts.gan.class_means(ds)) and back.builder == "features.Classifier"
    x = torch.rand(3, 1, 8, 8)
    assert torch.allclose(back.build()(x), fx.model(x)) and back.build().class_names == ds.class_names
