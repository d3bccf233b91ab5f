"""Each GAN loss on fixed scores, against values worked out by hand."""

import math

import pytest
import torch
from torch import nn

from torchscope.gan.lab.losses import LOSSES, get_loss, gradient_penalty

REAL = torch.tensor([0.0, 2.0])
FAKE = torch.tensor([0.0, -1.0])
LN2 = math.log(2)
SP = {x: math.log1p(math.exp(x)) for x in (-2.0, -1.0, 0.0, 1.0)}  # softplus

# (D loss, G loss) on REAL/FAKE
KNOWN = {
    "minimax": ((SP[0] + SP[-2]) / 2 + (SP[0] + SP[-1]) / 2, -(SP[0] + SP[-1]) / 2),
    "nonsaturating": ((SP[0] + SP[-2]) / 2 + (SP[0] + SP[-1]) / 2, (SP[0] + SP[1]) / 2),
    "lsgan": (0.5 * (1 + 1) / 2 + 0.5 * (0 + 1) / 2, 0.5 * (1 + 4) / 2),
    "wgan-gp": (-0.5 - 1.0, 0.5),
    "hinge": ((1 + 0) / 2 + (1 + 0) / 2, 0.5),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_known_values(name):
    loss = LOSSES[name]
    d, g = KNOWN[name]
    assert float(loss.d(REAL, FAKE)) == pytest.approx(d, abs=1e-6)
    assert float(loss.g(FAKE)) == pytest.approx(g, abs=1e-6)


def test_at_the_undecided_point_bce_is_two_log_two():
    z = torch.zeros(5)
    assert float(LOSSES["minimax"].d(z, z)) == pytest.approx(2 * LN2)
    assert float(LOSSES["minimax"].g(z)) == pytest.approx(-LN2)
    assert float(LOSSES["nonsaturating"].g(z)) == pytest.approx(LN2)


def test_bce_is_stable_for_huge_logits():
    big = torch.tensor([1e4])
    assert math.isfinite(float(LOSSES["minimax"].d(big, -big)))
    assert float(LOSSES["nonsaturating"].g(-big)) == pytest.approx(1e4)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_decision_is_a_probability(name):
    p = LOSSES[name].decision(torch.tensor([-50.0, -1.0, 0.0, 1.0, 50.0]))
    assert float(p.min()) >= 0 and float(p.max()) <= 1
    assert p[0] <= p[2] <= p[4]


def test_gradient_penalty_of_a_linear_critic():
    d = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        d.weight.copy_(torch.tensor([[3.0, 4.0]]))  # gradient norm 5 everywhere
    x = torch.randn(16, 2)
    assert float(gradient_penalty(d, x, x + 1, weight=2.0).detach()) == pytest.approx(2.0 * 16.0)
    with torch.no_grad():
        d.weight.copy_(torch.tensor([[0.6, 0.8]]))  # norm 1: no penalty
    assert float(gradient_penalty(d, x, x + 1, weight=10.0).detach()) == pytest.approx(0.0, abs=1e-10)


def test_aliases_and_unknown_names():
    assert get_loss("standard").name == "minimax"
    assert get_loss("NS").name == "nonsaturating"
    with pytest.raises(ValueError, match=r"unknown loss 'wasserstein'.*choose one of"):
        get_loss("wasserstein")
