"""``ts.explain`` on every kind of input: tabular rows, sequences (N x T x F and N x C x L), token ids
(plain PyTorch and Hugging Face, classifiers and language models), and the records and views each gives."""

from __future__ import annotations

import html

import numpy as np
import pytest
import torch

import torchscope.explain as E
from torchscope.explain._inputs import detect
from torchscope.records import rebuild

from .hf import hf_model, token_ids
from .models import make, make_other

HOSTILE = ["<script>alert(1)</script>", "$\\frac{", "a&b", "'\"", "\n", "Ġword"]


def round_trips(rec, tmp_path) -> None:
    back = rebuild(rec.kind, *rec.to_dict())
    assert type(back) is type(rec) and back.to_json() == rec.to_json()
    assert rec.save(tmp_path / "x.png").stat().st_size > 3000
    assert "torchscope-record" in rec._repr_html_()


def test_detects_the_kind_of_input() -> None:
    assert detect(make("cnn")[0], torch.randn(3, 16, 16)) == ("image", None)  # one image, as before
    assert detect(make_other("residual_mlp")[0], torch.randn(2, 12)) == ("tabular", None)
    assert detect(make_other("conv1d")[0], torch.randn(2, 4, 24)) == ("sequence", "NCL")
    assert detect(make_other("lstm")[0], torch.randn(2, 10, 5)) == ("sequence", "NTF")
    assert detect(make_other("tokens")[0], torch.zeros(2, 5, dtype=torch.long)) == ("tokens", None)
    with pytest.raises(ValueError, match="5 dimensions"):
        E.explain(make("cnn")[0], torch.randn(1, 3, 4, 16, 16))


@pytest.mark.parametrize("method", ["saliency", "ig", "smoothgrad", "occlusion"])
def test_tabular(method: str, tmp_path) -> None:
    model, x = make_other("residual_mlp", batch=5)
    names = [f"col{j}" for j in range(12)]
    ex = E.explain(model, x, method=method, feature_names=names, class_names=["a", "b", "c", "d"])
    assert isinstance(ex, E.TabularAttribution) and ex.attributions.shape == (5, 12)
    np.testing.assert_array_equal(ex.values, x.numpy())
    assert ex.predictions == model(x).argmax(1).tolist() == ex.targets
    assert ex.target_labels == [["a", "b", "c", "d"][t] for t in ex.targets]
    ranking = ex.ranking()
    assert [v for _, v in ranking] == sorted((v for _, v in ranking), reverse=True) and len(ranking) == 12
    assert abs(ex.top(0, 1)[0][2]) == np.abs(ex.attributions[0]).max()
    round_trips(ex, tmp_path)


def test_tabular_matches_the_method_class_and_checks_names() -> None:
    model, x = make_other("norm_mlp")
    ex = E.explain(model, x, target=1, method="ig", n_steps=20)
    np.testing.assert_allclose(ex.attributions, E.IntegratedGradients(model).attribute(x, 1, n_steps=20).numpy(),
                               rtol=1e-6, atol=1e-7)
    assert ex.signed and ex.feature_names[:2] == ["x0", "x1"]
    with pytest.raises(ValueError, match="3 names for 12 features"):
        E.explain(model, x, feature_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="gradcam does not apply to tabular"):
        E.explain(model, x, method="gradcam")


@pytest.mark.parametrize(("name", "layout"), [("lstm", "NTF"), ("conv1d", "NCL"), ("transformer", "NTF")])
def test_sequences_are_time_by_feature(name: str, layout: str, tmp_path) -> None:
    model, x = make_other(name)
    ex = E.explain(model, x, method="ig", n_steps=16)
    assert isinstance(ex, E.SequenceAttribution) and ex.layout == layout
    raw = E.IntegratedGradients(model).attribute(x, torch.tensor(ex.targets), n_steps=16).numpy()
    expected = raw.transpose(0, 2, 1) if layout == "NCL" else raw
    np.testing.assert_allclose(ex.attributions, expected, rtol=1e-5, atol=1e-7)
    assert ex.values.shape == expected.shape and ex.over_time(0).shape == (expected.shape[1],)
    round_trips(ex, tmp_path)


def test_gradcam_on_sequences_needs_a_convolution() -> None:
    model, x = make_other("conv1d")
    ex = E.explain(model, x, method="gradcam")
    assert ex.attributions.shape == (3, 24, 1) and ex.feature_names == ["Grad-CAM"] and ex.layer == "features"
    for name in ("lstm", "transformer"):
        other, xs = make_other(name)
        with pytest.raises(ValueError, match=r"needs a 1-D convolution over time.*has none"):
            E.explain(other, xs, method="gradcam")


def test_tokens_of_a_plain_classifier(tmp_path) -> None:
    model, ids = make_other("tokens")
    ex = E.explain(model, ids)  # default: Integrated Gradients at the embedding layer
    assert isinstance(ex, E.TokenAttribution) and ex.method == "integrated_gradients" and ex.layer == "embed"
    raw = E.LayerIntegratedGradients(model).attribute(ids, torch.tensor(ex.targets))
    np.testing.assert_allclose(ex.scores, raw.sum(-1).numpy(), rtol=1e-5, atol=1e-7)
    assert ex.position is None and ex.tokens[0] == [str(i) for i in ids[0].tolist()]
    occ = E.explain(model, ids, method="occlusion")
    assert occ.scores.shape == ids.shape
    with pytest.raises(ValueError, match=r"gradcam does not apply to tokens.*ts\.attention"):
        E.explain(model, ids, method="gradcam")
    with pytest.raises(ValueError, match="sample 0 has 3 tokens for a sequence of 12"):
        E.explain(model, ids[:1], method="saliency", tokens=["a", "b", "c"])
    round_trips(ex, tmp_path)


def test_tokens_of_hugging_face_models_and_their_labels() -> None:
    bert = hf_model("bert", id2label={0: "neg", 1: "neu", 2: "pos"})
    ids = token_ids(batch=2, length=7)
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0
    ex = E.explain(bert, {"input_ids": ids, "attention_mask": mask}, method="ig", n_steps=8)
    assert ex.valid[1].tolist() == [True] * 5 + [False] * 2 and len(ex.sample(1)) == 5
    assert set(ex.target_labels) <= {"neg", "neu", "pos"}
    ref = E.LayerIntegratedGradients(bert).attribute(ids, torch.tensor(ex.targets), n_steps=8,
                                                     model_kwargs={"attention_mask": mask})
    np.testing.assert_allclose(ex.scores, ref.sum(-1).numpy(), rtol=1e-5, atol=1e-6)

    class Tokenizer:  # what ts.explain uses of a Hugging Face tokenizer
        def convert_ids_to_tokens(self, ids):
            return [f"t{i}" for i in ids] if isinstance(ids, list) else f"t{ids}"

    gpt2 = hf_model("gpt2")
    lm = E.explain(gpt2, ids, method="saliency", tokenizer=Tokenizer())
    with torch.no_grad():
        nxt = gpt2(ids).logits[:, -1].argmax(-1).tolist()
    assert lm.position == -1 and lm.targets == nxt and lm.target_labels == [f"t{i}" for i in nxt]
    assert lm.tokens[0] == [f"t{i}" for i in ids[0].tolist()]


def test_hostile_tokens_are_escaped_and_drawn_literally(tmp_path) -> None:
    model, ids = make_other("tokens", batch=1)
    tokens = (HOSTILE * 2)[:12]
    ex = E.explain(model, ids, method="saliency", tokens=tokens, class_names=["<b>x</b>", "y", "z"])
    page = ex._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert html.escape("'\"", quote=True) in page and "<b>x</b>" not in page
    fig = ex.figure()
    texts = [t for ax in fig.axes for t in ax.texts]
    assert {t.get_text() for t in texts} >= {"$\\frac{", "<script>alert(1)</script>"}
    fig.savefig(tmp_path / "t.png")  # mathtext would fail on "$\frac{"
    ex.save(tmp_path / "t.html")
    assert "<script>alert" not in (tmp_path / "t.html").read_text()
