"""A zoo of models for the model-visualization tests, each with a small example input.

Architectures are written here (no torchvision, no downloads): ResNet [He et al. 2016],
U-Net [Ronneberger et al. 2015], DCGAN [Radford et al. 2016], plus edge cases (dict output,
data-dependent control flow, tied weights, nested containers, functional-only). Hugging Face
BERT and GPT-2 are built from configs when ``transformers`` is installed.

Example: ``model, x = ZOO["cnn"]()``
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class CNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 7 * 7, 32), nn.ReLU(), nn.Dropout(0.1),
                                        nn.Linear(32, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin: int, c: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != c:
            self.downsample = nn.Sequential(nn.Conv2d(cin, c, 1, stride, bias=False), nn.BatchNorm2d(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        idt = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + idt)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, c: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.conv3 = nn.Conv2d(c, c * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != c * 4:
            self.downsample = nn.Sequential(nn.Conv2d(cin, c * 4, 1, stride, bias=False), nn.BatchNorm2d(c * 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        idt = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + idt)


class ResNet(nn.Module):
    def __init__(self, block: Any, layers: list[int], num_classes: int = 1000) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = 64
        for i, (c, n) in enumerate(zip((64, 128, 256, 512), layers)):
            blocks = []
            for j in range(n):
                blocks.append(block(cin, c, 2 if (j == 0 and i > 0) else 1))
                cin = c * block.expansion
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class UNet(nn.Module):
    def __init__(self, cin: int = 1, base: int = 8, classes: int = 2) -> None:
        super().__init__()

        def block(a: int, b: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(a, b, 3, padding=1), nn.ReLU(inplace=True),
                                 nn.Conv2d(b, b, 3, padding=1), nn.ReLU(inplace=True))

        self.down = nn.ModuleList([block(cin, base), block(base, base * 2), block(base * 2, base * 4)])
        self.bottom = block(base * 4, base * 8)
        self.up = nn.ModuleList([nn.ConvTranspose2d(base * 8 >> i, base * 4 >> i, 2, 2) for i in range(3)])
        self.dec = nn.ModuleList([block(base * 8 >> i, base * 4 >> i) for i in range(3)])
        self.head = nn.Conv2d(base, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for d in self.down:
            x = d(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottom(x)
        for up, dec, skip in zip(self.up, self.dec, reversed(skips)):
            x = dec(torch.cat([up(x), skip], dim=1))
        return self.head(x)


class LSTMTagger(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(100, 16)
        self.lstm = nn.LSTM(16, 32, num_layers=2, batch_first=True)
        self.out = nn.Linear(32, 5)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h, _ = self.lstm(self.emb(ids))
        return self.out(h)


class GRUCellLoop(nn.Module):
    """An RNN unrolled in Python: the same cell called once per time step."""

    def __init__(self) -> None:
        super().__init__()
        self.cell = nn.GRUCell(6, 12)
        self.head = nn.Linear(12, 3)

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(seq.shape[0], 12)
        for t in range(seq.shape[1]):
            h = self.cell(seq[:, t], h)
        return self.head(h)


class Transformer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        layer = nn.TransformerEncoderLayer(32, 4, 64, batch_first=True, dropout=0.0)
        self.embed = nn.Linear(8, 32)
        self.encoder = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
        self.head = nn.Linear(32, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(self.embed(x)).mean(1))


def dcgan_g(nz: int = 16, ngf: int = 8) -> nn.Module:
    return nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False), nn.Tanh())


def dcgan_d(ndf: int = 8) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False), nn.Sigmoid())


class DictOut(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(8, 16)
        self.cls = nn.Linear(16, 3)
        self.box = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, Any]:
        h = torch.relu(self.body(x))
        if mask is not None:
            h = h * mask
        return {"logits": self.cls(h), "aux": {"boxes": self.box(h), "features": [h]}}


class ControlFlow(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pos = nn.Linear(4, 4)
        self.neg = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for _ in range(2):  # the same module called twice
            x = self.pos(x) if x.sum() > 0 else self.neg(x)
        return x


class TiedLM(nn.Module):
    def __init__(self, vocab: int = 1000, dim: int = 64) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.mix = nn.Linear(dim, dim)
        self.decoder = nn.Linear(dim, vocab, bias=False)
        self.decoder.weight = self.embed.weight

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.decoder(torch.relu(self.mix(self.embed(ids))))


class Nested(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stages = nn.ModuleList([
            nn.ModuleDict({"a": nn.Linear(8, 8), "b": nn.ModuleList([nn.ReLU(), nn.Linear(8, 8)])}) for _ in range(2)])
        self.frozen = nn.Linear(8, 2)
        self.frozen.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for st in self.stages:
            x = st["a"](x)
            for m in st["b"]:
                x = m(x)
        return self.frozen(x)


class Functional(nn.Module):
    """No submodules: parameters used through torch.nn.functional and matmul."""

    def __init__(self) -> None:
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(16, 8) * 0.1)
        self.w2 = nn.Parameter(torch.randn(16, 16) * 0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.gelu(x @ self.w1.t())
        att = torch.softmax(h @ h.transpose(-1, -2) / 4.0, dim=-1)
        return F.layer_norm(att @ h @ self.w2, (16,))


def _hf(name: str) -> tuple[nn.Module, Any]:
    import transformers

    torch.manual_seed(0)
    if name == "bert":
        cfg = transformers.BertConfig(vocab_size=200, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                      intermediate_size=64, max_position_embeddings=64)
        model: nn.Module = transformers.BertModel(cfg)
    else:
        cfg = transformers.GPT2Config(vocab_size=200, n_embd=32, n_layer=2, n_head=2, n_positions=64,
                                      bos_token_id=0, eos_token_id=0)
        model = transformers.GPT2LMHeadModel(cfg)
    ids = torch.randint(0, 200, (1, 12))
    return model, {"input_ids": ids}


def _seeded(fn: Callable[[], tuple[nn.Module, Any]]) -> Callable[[], tuple[nn.Module, Any]]:
    def make() -> tuple[nn.Module, Any]:
        torch.manual_seed(0)
        return fn()
    return make


ZOO: dict[str, Callable[[], tuple[nn.Module, Any]]] = {
    "cnn": _seeded(lambda: (CNN(), torch.randn(2, 1, 28, 28))),
    "resnet18": _seeded(lambda: (ResNet(BasicBlock, [2, 2, 2, 2]), torch.randn(1, 3, 64, 64))),
    "resnet50": _seeded(lambda: (ResNet(Bottleneck, [3, 4, 6, 3]), torch.randn(1, 3, 64, 64))),
    "unet": _seeded(lambda: (UNet(), torch.randn(1, 1, 32, 32))),
    "lstm": _seeded(lambda: (LSTMTagger(), torch.randint(0, 100, (2, 7)))),
    "gru_loop": _seeded(lambda: (GRUCellLoop(), torch.randn(2, 5, 6))),
    "transformer": _seeded(lambda: (Transformer(), torch.randn(2, 5, 8))),
    "dcgan_g": _seeded(lambda: (dcgan_g(), torch.randn(2, 16, 1, 1))),
    "dcgan_d": _seeded(lambda: (dcgan_d(), torch.randn(2, 3, 32, 32))),
    "dict_out": _seeded(lambda: (DictOut(), {"x": torch.randn(2, 8), "mask": torch.ones(2, 16)})),
    "control_flow": _seeded(lambda: (ControlFlow(), torch.ones(1, 4))),
    "tied": _seeded(lambda: (TiedLM(), torch.randint(0, 1000, (2, 6)))),
    "nested": _seeded(lambda: (Nested(), torch.randn(3, 8))),
    "functional": _seeded(lambda: (Functional(), torch.randn(4, 8))),
    "bert": lambda: _hf("bert"),
    "gpt2": lambda: _hf("gpt2"),
}
HF = {"bert", "gpt2"}
