"""Memory stays bounded on a large batch: Integrated Gradients on 64 images x 50 steps in a child process."""

from __future__ import annotations

from tests.conftest import run_python

CODE = """
import resource, sys, torch
sys.path.insert(0, sys.argv[1])
from tests.explain.models import make
from torchscope.explain import IntegratedGradients
torch.set_num_threads(2)
model, x = make("cnn", batch=64, size=32)
ig = IntegratedGradients(model, budget_mb=32)
ig.attribute(x[:2], target=0, n_steps=4)  # warm up allocator and kernels
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
ig.attribute(x, target=0)  # 3,200 rows; one expanded batch (as Captum) would hold ~300 MB of activations
grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(f"{grew:.0f}")
"""


def test_integrated_gradients_peak_memory_is_bounded() -> None:
    from tests.conftest import ROOT

    grew_mb = float(run_python(CODE, str(ROOT), timeout=170).stdout.split()[-1])
    assert grew_mb < 120, f"peak memory grew by {grew_mb:.0f} MB with a 32 MB budget"
