"""Hugging Face models built from small configs (random weights, nothing downloaded), for the token
attribution and attention tests: BERT and ViT classifiers, GPT-2 and a Llama-style language model,
T5 (encoder-decoder).

Example: ``model = hf_model("bert")``
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

VOCAB = 60


def hf_model(name: str, seed: int = 0, **overrides: Any) -> Any:
    """A small seeded model in eval mode: ``hf_model("gpt2")``; skipped when transformers is missing."""
    tf = pytest.importorskip("transformers")
    tf.logging.set_verbosity_error()
    torch.manual_seed(seed)
    small = {"vocab_size": VOCAB}
    if name == "bert":
        cfg = tf.BertConfig(**small, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                            intermediate_size=64, num_labels=3, max_position_embeddings=64, **overrides)
        return tf.BertForSequenceClassification(cfg).eval()
    if name == "gpt2":
        cfg = tf.GPT2Config(**small, n_embd=32, n_layer=2, n_head=4, n_positions=64, bos_token_id=0,
                            eos_token_id=0, **overrides)
        return tf.GPT2LMHeadModel(cfg).eval()
    if name == "llama":
        cfg = tf.LlamaConfig(**small, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                             bos_token_id=0, eos_token_id=0, pad_token_id=0, **overrides)
        return tf.LlamaForCausalLM(cfg).eval()
    if name == "t5":
        cfg = tf.T5Config(**small, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2, num_heads=4,
                          decoder_start_token_id=0, pad_token_id=0, eos_token_id=1, **overrides)
        return tf.T5ForConditionalGeneration(cfg).eval()
    if name == "vit":
        cfg = tf.ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                           intermediate_size=64, num_labels=3, **overrides)
        return tf.ViTForImageClassification(cfg).eval()
    raise KeyError(name)


def token_ids(batch: int = 2, length: int = 9, seed: int = 1) -> torch.Tensor:
    """Seeded token ids in ``1..VOCAB-1`` (0 is the baseline/padding id)."""
    return torch.randint(1, VOCAB, (batch, length), generator=torch.Generator().manual_seed(seed))
