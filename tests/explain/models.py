"""Test models for the explanation tests and benchmark, written here (no torchvision, no downloads).

Images: a small CNN, ResNet-18 [He et al. 2016] and a tiny vision transformer [Dosovitskiy et al.
2021], plus a model that raises inside its forward pass. Beyond images (``make_other``): tabular
MLPs with BatchNorm and a residual connection, and with LayerNorm and GELU; a 1-D convolutional
network (``N x C x L``); an LSTM and a small transformer encoder over ``N x T x F`` sequences; a
token classifier (embedding, transformer encoder, mean pooling). Weights are random but seeded.

Example: ``model, x = make("resnet18", batch=2, size=32)``; ``model, x = make_other("lstm", batch=3)``
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


class ResidualMLP(nn.Module):
    """Tabular: Linear, BatchNorm1d, ReLU, two residual blocks, a head."""

    def __init__(self, features: int = 12, width: int = 32, classes: int = 4) -> None:
        super().__init__()
        self.inp = nn.Sequential(nn.Linear(features, width), nn.BatchNorm1d(width), nn.ReLU())
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(width, width), nn.BatchNorm1d(width), nn.ReLU(),
                                                  nn.Linear(width, width)) for _ in range(2))
        self.head = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        for block in self.blocks:
            h = torch.relu(h + block(h))
        return self.head(h)


class NormMLP(nn.Module):
    """Tabular: LayerNorm and GELU between linear layers."""

    def __init__(self, features: int = 12, width: int = 32, classes: int = 4) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(features, width), nn.LayerNorm(width), nn.GELU(),
                                 nn.Linear(width, width), nn.LayerNorm(width), nn.GELU(), nn.Linear(width, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Conv1dNet(nn.Module):
    """Sequences N x C x L: two 1-D convolutions, batch norm, global pooling."""

    def __init__(self, channels: int = 4, classes: int = 3) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv1d(channels, 16, 5, padding=2), nn.BatchNorm1d(16), nn.ReLU(),
                                      nn.MaxPool1d(2), nn.Conv1d(16, 32, 3, padding=1), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.head = nn.Linear(32, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.features(x)).flatten(1))


class LSTMNet(nn.Module):
    """Sequences N x T x F: a two-layer LSTM, its last state to the head."""

    def __init__(self, features: int = 5, hidden: int = 16, classes: int = 3) -> None:
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


class SeqTransformer(nn.Module):
    """Sequences N x T x F: a projection, positions, a two-layer transformer encoder, mean pooling."""

    def __init__(self, features: int = 5, dim: int = 16, classes: int = 3, length: int = 10) -> None:
        super().__init__()
        self.proj = nn.Linear(features, dim)
        self.pos = nn.Parameter(torch.randn(1, length, dim) * 0.1)
        layer = nn.TransformerEncoderLayer(dim, 4, 32, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(self.proj(x) + self.pos[:, :x.shape[1]]).mean(dim=1))


class TokenClassifier(nn.Module):
    """Token ids N x T: an embedding, positions, a transformer encoder, mean pooling to the classes."""

    def __init__(self, vocab: int = 50, dim: int = 16, classes: int = 3, length: int = 12) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.randn(1, length, dim) * 0.1)
        layer = nn.TransformerEncoderLayer(dim, 4, 32, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(dim, classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(self.embed(ids) + self.pos[:, :ids.shape[1]]).mean(dim=1))


OTHER = {
    "residual_mlp": (ResidualMLP, lambda n: torch.randn(n, 12)),
    "norm_mlp": (NormMLP, lambda n: torch.randn(n, 12)),
    "conv1d": (Conv1dNet, lambda n: torch.randn(n, 4, 24)),
    "lstm": (LSTMNet, lambda n: torch.randn(n, 10, 5)),
    "transformer": (SeqTransformer, lambda n: torch.randn(n, 10, 5)),
    "tokens": (TokenClassifier, lambda n: torch.randint(1, 50, (n, 12))),
}


def make_other(name: str, batch: int = 3, seed: int = 0) -> tuple[nn.Module, torch.Tensor]:
    """A seeded non-image model in eval mode and a batch of its inputs: ``make_other("conv1d")``."""
    torch.manual_seed(seed)
    cls, data = OTHER[name]
    model = cls()
    for m in model.modules():  # non-trivial batch-norm statistics
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    return model.eval(), data(batch)
