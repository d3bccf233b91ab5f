"""Test models for the explanation tests and benchmark, written here (no torchvision, no downloads).

A small CNN, ResNet-18 [He et al. 2016] and a tiny vision transformer [Dosovitskiy et al. 2021],
plus a model that raises inside its forward pass. Weights are random but seeded.

Example: ``model, x = make("resnet18", batch=2, size=32)``
"""

from __future__ import annotations

import torch
from torch import nn

from tests.model.zoo import BasicBlock, ResNet


class SimpleCNN(nn.Module):
    def __init__(self, classes: int = 10, channels: int = 3) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(64, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(x)))


class ResNet18(ResNet):
    """torchvision's resnet18 layout (the model zoo's ResNet): a 7x7 stem, four stages of two basic
    blocks, global pooling."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__(BasicBlock, [2, 2, 2, 2], num_classes=classes)


class Block(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class TinyViT(nn.Module):
    """A vision transformer: 4x4 patches, a class token, two blocks, the class token to the head."""

    def __init__(self, classes: int = 10, size: int = 32, patch: int = 4, dim: int = 32, depth: int = 2) -> None:
        super().__init__()
        self.patch = nn.Conv2d(3, dim, patch, patch)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, (size // patch) ** 2 + 1, dim) * 0.02)
        self.blocks = nn.Sequential(*[Block(dim, 4) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = self.patch(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls.expand(len(t), -1, -1), t], dim=1) + self.pos
        return self.head(self.norm(self.blocks(t))[:, 0])


class Exploding(nn.Module):
    """Wraps a model; raises inside its forward pass on call number ``fail_on`` (1-based)."""

    def __init__(self, inner: nn.Module, fail_on: int) -> None:
        super().__init__()
        self.inner, self.fail_on, self.calls = inner, fail_on, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls == self.fail_on:
            raise RuntimeError("boom inside the model")
        return self.inner(x)


MODELS = {"cnn": SimpleCNN, "resnet18": ResNet18, "vit": TinyViT}


def make(name: str, batch: int = 2, size: int = 32, seed: int = 0) -> tuple[nn.Module, torch.Tensor]:
    """A seeded model in eval mode and a batch of inputs: ``make("cnn", batch=4)``."""
    torch.manual_seed(seed)
    model = MODELS[name](size=size) if name == "vit" else MODELS[name]()
    for m in model.modules():  # non-trivial batch-norm statistics
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    return model.eval(), torch.randn(batch, 3, size, size)
