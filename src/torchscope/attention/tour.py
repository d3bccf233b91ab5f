"""The tour's transformer stage: two tiny transformers, trained in seconds, whose attention has a known right answer.

1. **Reversal**: a two-layer encoder reads ``LENGTH`` random letters and writes them backwards, one
   output per position. Only attention can carry a letter from one position to another, so output
   ``i`` must attend to input ``LENGTH - 1 - i``: the maps show the anti-diagonal, the head view an
   X of crossing lines (logged as ``attention/reverse``).
2. **Sentiment**: a two-layer encoder reads ``[CLS]`` and a "review" of neutral filler words holding
   exactly one deciding word (``great``, ``superb``, ``loved`` or ``awful``, ``boring``, ``hated``),
   and classifies it from ``[CLS]``. Integrated Gradients at the embedding layer (Sundararajan et
   al. 2017), against the baseline Captum's BERT tutorial uses (``[CLS]`` then padding), puts the
   largest attribution on the deciding word, and ``[CLS]`` attends to it in the last layer (logged
   as ``attention/sentiment`` and ``attention/sentiment/ig``).

So that an input without a deciding word reads as neutral (and the baseline sits near 50/50), the
sentiment model also sees reviews with none (soft target 0.5) and words dropped to padding. The
stage logs the losses and accuracies as scalars and a note that says what was found.

Example::

    with ts.init(project="demo", name="transformer") as run:
        tour_stage(run, seed=0, quick=True)
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["LENGTH", "SENTIMENT", "TinyTransformer", "reverse_task", "sentiment_task", "tour_stage"]

LENGTH = 12  # tokens per sequence (the sentiment task adds [CLS])
LETTERS = list("abcdefghij")
FILLER = ["the", "a", "movie", "plot", "was", "and", "it", "actors", "film", "story", "really", "very", "quite",
          "scenes", "music", "ending", "of", "this", "with", "its"]
POSITIVE, NEGATIVE = ("great", "superb", "loved"), ("awful", "boring", "hated")
SENTIMENT = ["[PAD]", "[CLS]", *FILLER, *POSITIVE, *NEGATIVE]  # the sentiment task's vocabulary; [PAD] is id 0
CLASSES = ["negative", "positive"]
SAMPLES = 8  # sequences logged per record


class TinyTransformer(nn.Module):
    """Token and learned position embeddings, an ``nn.TransformerEncoder``, and a linear head on every
    position (``pool="none"``) or on the first (``pool="first"``, the [CLS] token)."""

    def __init__(self, vocab: int, classes: int, length: int, *, dim: int = 32, layers: int = 2, heads: int = 4,
                 pool: str = "none") -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.position = nn.Parameter(torch.randn(length, dim) * 0.5)
        layer = nn.TransformerEncoderLayer(dim, heads, 2 * dim, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(dim, classes)
        self.pool = pool

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h = self.encoder(self.embed(ids) + self.position[:ids.shape[1]])
        return self.head(h[:, 0] if self.pool == "first" else h)


def _fit(run: Any, model: nn.Module, batch: Any, loss_of: Any, steps: int, prefix: str) -> None:
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for step in range(steps):
        x, t = batch()
        loss = loss_of(model(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 5 == 0 or step == steps - 1:
            run.log({f"{prefix}/loss": loss.item()}, step=step)
    model.eval()


def reverse_task(run: Any, *, seed: int = 0, steps: int = 200) -> tuple[TinyTransformer, torch.Tensor, float]:
    """Train the reversal model (logging ``reverse/loss``); returns it, ``SAMPLES`` held-out sequences
    and its accuracy on 512 of them: ``model, x, acc = reverse_task(run)``."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = TinyTransformer(len(LETTERS), len(LETTERS), LENGTH)

    def batch() -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.randint(0, len(LETTERS), (64, LENGTH), generator=g)
        return x, x.flip(1)

    _fit(run, model, batch, lambda out, t: nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), t.reshape(-1)),
         steps, "reverse")
    held = torch.randint(0, len(LETTERS), (512, LENGTH), generator=g)
    with torch.no_grad():
        acc = float((model(held).argmax(-1) == held.flip(1)).float().mean())
    run.log({"reverse/accuracy": acc}, step=steps)
    return model, held[:SAMPLES], acc


def _reviews(n: int, g: torch.Generator, train: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``n`` reviews: ids ([CLS] first), soft targets (N x 2) and where the deciding word is."""
    ids = {w: i for i, w in enumerate(SENTIMENT)}
    filler = torch.tensor([ids[w] for w in FILLER])
    words = torch.tensor([[ids[w] for w in NEGATIVE], [ids[w] for w in POSITIVE]])
    x = filler[torch.randint(0, len(filler), (n, LENGTH + 1), generator=g)]
    y = torch.randint(0, 2, (n,), generator=g)
    where = torch.randint(1, LENGTH + 1, (n,), generator=g)
    x[torch.arange(n), where] = words[y, torch.randint(0, len(POSITIVE), (n,), generator=g)]
    target = nn.functional.one_hot(y, 2).float()
    if train:  # reviews without a deciding word are neutral; some words dropped to [PAD]
        none = torch.rand(n, generator=g) < 0.15
        x[none, where[none]] = filler[torch.randint(0, len(filler), (int(none.sum()),), generator=g)]
        target[none] = 0.5
        drop = torch.rand(n, LENGTH + 1, generator=g) < 0.15
        drop[torch.arange(n), where] = False
        x[drop] = ids["[PAD]"]
    x[:, 0] = ids["[CLS]"]
    return x, target, where


def sentiment_task(run: Any, *, seed: int = 0, steps: int = 150
                   ) -> tuple[TinyTransformer, torch.Tensor, torch.Tensor, float]:
    """Train the sentiment model (logging ``sentiment/loss``); returns it, ``SAMPLES`` held-out reviews,
    where their deciding words are, and its accuracy on 512: ``model, x, where, acc = sentiment_task(run)``."""
    g = torch.Generator().manual_seed(seed + 1)
    torch.manual_seed(seed + 1)
    model = TinyTransformer(len(SENTIMENT), 2, LENGTH + 1, pool="first")
    _fit(run, model, lambda: _reviews(64, g, True)[:2], nn.functional.cross_entropy, steps, "sentiment")
    x, target, where = _reviews(512, g, False)
    with torch.no_grad():
        acc = float((model(x).argmax(-1) == target.argmax(-1)).float().mean())
    run.log({"sentiment/accuracy": acc}, step=steps)
    return model, x[:SAMPLES], where[:SAMPLES], acc


def tour_stage(run: Any, *, seed: int, quick: bool) -> None:
    """Train both tiny transformers and log their attention, the sentiment model's token attributions,
    scalars and a note into ``run``: ``tour_stage(run, seed=0, quick=True)`` (about 2 s of one core quick, 5 s
    full)."""
    from ..explain import explain
    from .capture import attention

    t0 = time.time()
    model, x, rev_acc = reverse_task(run, seed=seed, steps=80 if quick else 200)
    letters = [[LETTERS[i] for i in row] for row in x.tolist()]
    rev = attention(model, x, tokens=letters)
    run.log_record(rev, key="attention/reverse")
    last = rev.group().maps[-1].astype(np.float32).mean(axis=1)  # samples x T x T, mean over heads
    mirror = int((last.argmax(-1) == np.arange(LENGTH)[::-1]).sum())

    clf, ids, where, clf_acc = sentiment_task(run, seed=seed, steps=60 if quick else 150)
    words = [[SENTIMENT[i] for i in row] for row in ids.tolist()]
    run.log_record(attention(clf, ids, tokens=words), key="attention/sentiment")
    base = torch.zeros_like(ids)
    base[:, 0] = SENTIMENT.index("[CLS]")
    ig = explain(clf, ids, method="ig", tokens=words, class_names=CLASSES, baselines=base)
    run.log_record(ig, key="attention/sentiment/ig")
    found = sum(int(np.abs(ig.scores[i]).argmax()) == int(where[i]) for i in range(len(ids)))
    n = len(ids)
    run.log_text("notes", (
        f"**Transformers** ({time.time() - t0:.1f} s): a two-layer, four-head encoder learned to reverse "
        f"{LENGTH} letters (accuracy **{rev_acc:.3f}**); its last layer's attention, averaged over heads, "
        f"points each output at its mirror position for {mirror} of {n * LENGTH} positions (the anti-diagonal in "
        f"Attention). A second one learned to tell positive from negative reviews by their one deciding word "
        f"(accuracy **{clf_acc:.3f}**): Integrated Gradients put the largest attribution on that word in "
        f"{found} of {n} reviews (coloured tokens in Attention)."), step=0)
