"""The image-GAN helpers' thread setting: one intra-op thread for small models, restored in finally."""

import pytest
import torch
from torch import nn

from torchscope.gan._util import generate, small_model_threads, threads


@pytest.fixture
def three_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    yield 3
    torch.set_num_threads(before)


def test_threads_restores_the_count_on_success_and_on_error(three_threads):
    with threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == three_threads
    with pytest.raises(KeyError), threads(1):
        raise KeyError("x")
    assert torch.get_num_threads() == three_threads
    with threads(None):
        assert torch.get_num_threads() == three_threads


def test_small_is_parameters_and_work(three_threads):
    small, big = nn.Linear(64, 64), nn.Linear(1000, 1000)
    for models, kw, inside in [((small,), {}, 1), ((big,), {}, 1), ((big,), {"rows": 1024}, 3),
                               ((small,), {"rows": 2304}, 1), ((nn.Linear(2000, 1001),), {}, 3), ((), {}, 3)]:
        with small_model_threads(*models, **kw):
            assert torch.get_num_threads() == inside, (models, kw)
        assert torch.get_num_threads() == three_threads


def test_generate_runs_a_small_generator_on_one_thread(three_threads):
    seen = []
    G = nn.Sequential(nn.Linear(4, 12), nn.Tanh(), nn.Unflatten(1, (3, 2, 2)))
    G.register_forward_pre_hook(lambda m, a: seen.append(torch.get_num_threads()))
    x = generate(G, torch.randn(5, 4))
    assert x.shape == (5, 3, 2, 2) and seen == [1] and torch.get_num_threads() == three_threads
