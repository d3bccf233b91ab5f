"""FLOP formulas: recurrent layers against hand counts, kernels FlopCounterMode misses, shapes = kernels."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import torchscope.model as tsm
from torchscope.model.capture import capture
from torchscope.model.flops import extra_flop_formulas, rnn_flops, shape_flops

X = torch.randn(3, 7, 10)  # batch 3, 7 steps, 10 features: 21 (step, entry) rows per layer and direction
LENGTHS = [7, 5, 2]  # packed: 14 rows


def _packed() -> nn.utils.rnn.PackedSequence:
    return nn.utils.rnn.pack_padded_sequence(X, LENGTHS, batch_first=True)


# (model, input, hand-counted multiply-adds). Per row: LSTM 4H(I + H) (+ 4H P and P H with a projection
# to P), GRU 3H(I + H), RNN H(I + H); a second layer's input is H, or 2H when bidirectional.
RNN_CASES = {
    "lstm": (lambda: nn.LSTM(10, 20, batch_first=True), lambda: X, 21 * 4 * 20 * (10 + 20)),
    "lstm_2_layers_bidirectional": (lambda: nn.LSTM(10, 20, num_layers=2, bidirectional=True, batch_first=True),
                                    lambda: X, 21 * 2 * (4 * 20 * (10 + 20) + 4 * 20 * (40 + 20))),
    "lstm_time_first_with_state": (lambda: nn.LSTM(10, 20), lambda: [X.transpose(0, 1).contiguous(),
                                   (torch.zeros(1, 3, 20), torch.zeros(1, 3, 20))], 21 * 4 * 20 * 30),
    "lstm_packed": (lambda: nn.LSTM(10, 20, batch_first=True), _packed, 14 * 4 * 20 * 30),
    "lstm_packed_bidirectional": (lambda: nn.LSTM(10, 20, bidirectional=True, batch_first=True), _packed,
                                  14 * 2 * 4 * 20 * 30),
    "lstm_proj_size": (lambda: nn.LSTM(10, 20, proj_size=5, batch_first=True), lambda: X,
                       21 * (4 * 20 * 10 + 4 * 20 * 5 + 5 * 20)),
    "lstm_cell": (lambda: nn.LSTMCell(10, 20), lambda: X[:, 0], 3 * 4 * 20 * 30),
    "gru": (lambda: nn.GRU(10, 20, batch_first=True), lambda: X, 21 * 3 * 20 * 30),
    "gru_packed": (lambda: nn.GRU(10, 20, batch_first=True), _packed, 14 * 3 * 20 * 30),
    "gru_cell": (lambda: nn.GRUCell(10, 20), lambda: X[:, 0], 3 * 3 * 20 * 30),
    "rnn": (lambda: nn.RNN(10, 20, batch_first=True), lambda: X, 21 * 20 * 30),
    "rnn_relu_2_layers": (lambda: nn.RNN(10, 20, num_layers=2, nonlinearity="relu", batch_first=True),
                          lambda: X, 21 * (20 * 30 + 20 * 40)),
    "rnn_cell": (lambda: nn.RNNCell(10, 20), lambda: X[:, 0], 3 * 20 * 30),
}


@pytest.mark.parametrize("case", list(RNN_CASES))
def test_recurrent_layers_count_their_hand_counted_macs(case: str) -> None:
    make, inp, macs = RNN_CASES[case]
    model, x = make(), inp()
    args = tuple(x) if isinstance(x, list) else (x,)  # a list: several arguments
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "LSTM with projections is not supported with oneDNN"
        s = tsm.summary(model, args)
        lean = tsm.summary(model, args, flops=False)
        cap = capture(model, args, {})
        with torch.no_grad(), FlopCounterMode(display=False, custom_mapping=extra_flop_formulas()) as counter:
            model.eval()(*args)
    assert s.total_macs == macs and s.rows[0]["flops"] == 2 * macs and not s.uncounted
    assert cap.total_flops == counter.get_total_flops() == 2 * macs  # the graph's count, PyTorch's with our formulas
    assert lean.total_flops == 0 and lean.rows == [{**r, "flops": 0} for r in s.rows]


class TorchinfoLSTMNet(nn.Module):
    """torchinfo's ``lstm`` test case (tests/fixtures/models.py: LSTMNet, input (1, 100) token ids)."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(20, 300)
        self.encoder = nn.LSTM(300, 512, num_layers=2, batch_first=True)
        self.decoder = nn.Linear(512, 20)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.encoder(self.embedding(x))
        return self.decoder(out)


def test_torchinfo_lstm_case_against_a_hand_count() -> None:
    # torchinfo's golden file says 377.86M mult-adds; the hand count of the multiply-adds is 377.04M:
    # LSTM 100 steps x (2048 x 300 + 2048 x 512 for layer 1, 2 x 2048 x 512 for layer 2) = 376.01M,
    # decoder 100 x 512 x 20 = 1.02M. torchinfo multiplies every parameter by the output positions, so
    # it adds the embedding's 6,000 table entries (a lookup), 100 x 2 layers x 4,096 LSTM biases and
    # 100 x 20 decoder biases: 0.83M of additions that are no multiply-add of a product
    # (see torchscope.model.flops.rnn_flops).
    torch.manual_seed(0)
    s = tsm.summary(TorchinfoLSTMNet(), torch.zeros(1, 100, dtype=torch.long))
    lstm = 100 * (2048 * 300 + 2048 * 512 + 2 * 2048 * 512)
    assert lstm == 376_012_800
    assert {r["name"]: r["flops"] // 2 for r in s.rows} == {"": lstm + 1_024_000, "embedding": 0,
                                                            "encoder": lstm, "decoder": 100 * 512 * 20}
    assert 377_864_000 - s.total_macs == 6_000 + 100 * 2 * 2 * 2048 + 100 * 20
    assert "MACs: 377.04M" in s.text()


@pytest.mark.parametrize("op, cudnn", [("_cudnn_rnn", True), ("miopen_rnn", False)])
def test_gpu_recurrent_kernels_count_every_weight_matrix_once_per_row(op: str, cudnn: bool) -> None:
    # the CUDA and ROCm kernels take the flat weights of all layers and directions; checked on shapes
    formula = {k._qualified_op_name.split("::")[1]: v for k, v in extra_flop_formulas().items()}[op]
    weights = [(80, 10), (80, 20), (80,), (80,), (80, 20), (80, 20), (80,), (80,)]  # 2 layers, biases ignored
    tail = [80, None, (1, 3, 20), (1, 3, 20), 2, 20, 0, 2, True, 0.0, False, False, []]  # weight_stride0...
    if not cudnn:
        del tail[1], tail[6]  # MIOpen has no weight_buf and no proj_size
    assert formula((3, 7, 10), weights, *tail) == 2 * 21 * (80 * 30 + 80 * 40)
    tail[-1] = [3, 3, 2, 2, 2, 1, 1]  # packed: the data has sum(batch_sizes) = 14 rows
    assert formula((14, 10), weights, *tail) == 2 * 14 * (80 * 30 + 80 * 40)
    assert rnn_flops(14, weights) == 2 * 14 * (80 * 30 + 80 * 40)


MATMULS = [
    ("mm", (torch.randn(4, 5), torch.randn(5, 6))),
    ("addmm", (torch.randn(6), torch.randn(4, 5), torch.randn(5, 6))),
    ("bmm", (torch.randn(2, 4, 5), torch.randn(2, 5, 6))),
    ("baddbmm", (torch.randn(2, 4, 6), torch.randn(2, 4, 5), torch.randn(2, 5, 6))),
    ("matmul", (torch.randn(5), torch.randn(5))),
    ("matmul", (torch.randn(4, 5), torch.randn(5))),
    ("matmul", (torch.randn(5), torch.randn(5, 6))),
    ("matmul", (torch.randn(5), torch.randn(3, 5, 6))),
    ("matmul", (torch.randn(3, 4, 5), torch.randn(5))),
    ("matmul", (torch.randn(3, 4, 5), torch.randn(5, 6))),
    ("matmul", (torch.randn(4, 5), torch.randn(3, 5, 6))),
    ("matmul", (torch.randn(2, 1, 4, 5), torch.randn(3, 5, 6))),
    ("matmul", (torch.randn(2, 3, 4, 5).transpose(-1, -2), torch.randn(2, 3, 4, 6))),
    ("__matmul__", (torch.randn(3, 4, 5), torch.randn(3, 5, 6))),
    ("linear", (torch.randn(5), torch.randn(6, 5))),
    ("linear", (torch.randn(2, 3, 5), torch.randn(6, 5), torch.randn(6))),
    ("linear", (torch.randn(3, 2, 5).transpose(0, 1), torch.randn(6, 5), torch.randn(6))),
    ("scaled_dot_product_attention", (torch.randn(2, 3, 7, 8), torch.randn(2, 3, 9, 8), torch.randn(2, 3, 9, 4))),
]


@pytest.mark.parametrize("name, args", MATMULS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(MATMULS)])
def test_flops_from_shapes_equal_what_flop_counter_mode_counts(name: str, args: tuple[torch.Tensor, ...]) -> None:
    fn = getattr(torch.Tensor, name) if name.startswith("__") else getattr(torch.nn.functional, name, None)
    fn = fn or getattr(torch, name)
    with torch.no_grad(), FlopCounterMode(display=False, custom_mapping=extra_flop_formulas()) as counter:
        fn(*args)
    assert shape_flops(name, args, {}) == counter.get_total_flops() > 0


def test_kernels_flop_counter_mode_misses_are_counted() -> None:
    a, v = torch.randn(8, 16), torch.randn(16)
    cases = [(lambda: torch.mv(a, v), 2 * 8 * 16), (lambda: a @ v, 2 * 8 * 16), (lambda: torch.dot(v, v), 2 * 16),
             (lambda: torch.addmv(torch.zeros(8), a, v), 2 * 8 * 16),
             (lambda: torch.addbmm(torch.zeros(8, 4), torch.randn(2, 8, 16), torch.randn(2, 16, 4)),
              2 * 2 * 8 * 16 * 4)]
    for fn, flops in cases:
        with torch.no_grad(), FlopCounterMode(display=False) as plain:
            fn()
        with torch.no_grad(), FlopCounterMode(display=False, custom_mapping=extra_flop_formulas()) as ours:
            fn()
        assert (plain.get_total_flops(), ours.get_total_flops()) == (0, flops)
