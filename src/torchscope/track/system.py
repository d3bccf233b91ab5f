"""System metrics for a run: CPU, memory, disk and GPU, sampled on a background thread.

``ts.init(system=True)`` samples every 10 s (``system=2.0`` every 2 s) and logs scalars under
``system/`` at the run's current training step (the step of the last ``run.log``; the run's own
step counter is not advanced), so they line up with training on the step axis and on the time
axes. Machine: ``cpu_percent``, ``memory_percent``, ``memory_used_gb``, ``disk_read_mb_s``,
``disk_write_mb_s``; this process: ``process_cpu_percent`` (100 = one core), ``process_rss_gb``,
``process_threads``; each CUDA device this process uses: ``gpu<i>/allocated_gb``,
``gpu<i>/reserved_gb`` (torch's allocator), ``gpu<i>/memory_used_gb`` (the whole device) and,
with NVIDIA's ``pynvml`` installed (``pip install nvidia-ml-py``), ``gpu<i>/utilization``,
``gpu<i>/temperature_c`` and ``gpu<i>/power_w``. A ``system/info`` text describes the machine
once (host, OS, Python, torch, CPUs, memory, GPUs).

A sample costs about a tenth of a millisecond off the training thread; CUDA is never initialized
by the monitor (GPU metrics start once the process uses CUDA).

Example::

    run = ts.init(project="mnist", system=True)
"""

from __future__ import annotations

import contextlib
import os
import platform
import threading
import time
from collections.abc import Callable
from typing import Any

import torch

__all__ = ["DEFAULT_INTERVAL", "SystemMonitor", "interval_of", "machine_info"]

DEFAULT_INTERVAL = 10.0
MIN_INTERVAL = 0.1
GB, MB = 2**30, 2**20


def interval_of(system: Any) -> float | None:
    """``system=`` of ``ts.init`` as seconds between samples (None: off)."""
    if system is None or system is False:
        return None
    if system is True:
        return DEFAULT_INTERVAL
    if isinstance(system, (int, float)) and not isinstance(system, bool) and system >= MIN_INTERVAL:
        return float(system)
    raise ValueError(f"system must be True, False or seconds between samples (>= {MIN_INTERVAL}), got {system!r}")


def machine_info() -> str:
    """The machine in a few lines of markdown (logged once as ``system/info``)."""
    import psutil

    lines = [f"- **host**: {platform.node()}", f"- **OS**: {platform.platform()}",
             f"- **Python**: {platform.python_version()}", f"- **torch**: {torch.__version__}",
             f"- **CPUs**: {os.cpu_count()} ({platform.processor() or platform.machine()})",
             f"- **memory**: {psutil.virtual_memory().total / GB:.1f} GB"]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            lines.append(f"- **GPU {i}**: {p.name}, {p.total_memory / GB:.1f} GB")
    else:
        lines.append("- **GPU**: none visible to torch")
    return "\n".join(lines)


class SystemMonitor:
    """Samples every ``interval`` seconds and hands ``{key: value}`` to ``emit`` until :meth:`stop`."""

    def __init__(self, emit: Callable[[dict[str, float]], None], interval: float) -> None:
        import psutil

        self.emit, self.interval = emit, interval
        self._psutil = psutil
        self._proc = psutil.Process()
        self._stop = threading.Event()
        self._nvml = True  # False once torch's NVML wrappers failed (no pynvml, no NVIDIA driver)
        self._proc.cpu_percent(None)  # the first call starts the measurement window
        psutil.cpu_percent(None)
        self._disk: tuple[float, Any] = (time.monotonic(), self._disk_counters())
        self._thread = threading.Thread(target=self._loop, name="torchscope-system", daemon=True)
        self._thread.start()

    def _disk_counters(self) -> Any:
        try:
            return self._psutil.disk_io_counters()
        except (OSError, RuntimeError):  # no disks visible (some containers)
            return None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            with contextlib.suppress(Exception):  # a metric that cannot be read must never stop training
                self.emit(self.sample())

    def sample(self, rates: bool = True) -> dict[str, float]:
        """One sample of every metric this machine can give; ``rates=False`` leaves out the CPU and
        disk rates (averages since the previous sample: meaningless right at the start)."""
        ps = self._psutil
        out: dict[str, float] = {}
        vm = ps.virtual_memory()
        if rates:
            out["system/cpu_percent"] = float(ps.cpu_percent(None))
        out["system/memory_percent"] = float(vm.percent)
        out["system/memory_used_gb"] = (vm.total - vm.available) / GB
        with self._proc.oneshot():
            if rates:
                out["system/process_cpu_percent"] = float(self._proc.cpu_percent(None))
            out["system/process_rss_gb"] = self._proc.memory_info().rss / GB
            out["system/process_threads"] = float(self._proc.num_threads())
        now, disk = time.monotonic(), self._disk_counters()
        if rates and disk is not None and self._disk[1] is not None and now > self._disk[0]:
            dt = now - self._disk[0]
            out["system/disk_read_mb_s"] = max(0, disk.read_bytes - self._disk[1].read_bytes) / MB / dt
            out["system/disk_write_mb_s"] = max(0, disk.write_bytes - self._disk[1].write_bytes) / MB / dt
        if rates:
            self._disk = (now, disk)
        out.update(self._gpu())
        return out

    def _gpu(self) -> dict[str, float]:
        if not torch.cuda.is_initialized():  # never the monitor's doing: it would cost the process a context
            return {}
        out: dict[str, float] = {}
        for i in range(torch.cuda.device_count()):
            reserved = torch.cuda.memory_reserved(i)
            if not reserved:
                continue  # a device this process does not use
            out[f"system/gpu{i}/allocated_gb"] = torch.cuda.memory_allocated(i) / GB
            out[f"system/gpu{i}/reserved_gb"] = reserved / GB
            out.update(self._nvml_metrics(i))
        return out

    def _nvml_metrics(self, i: int) -> dict[str, float]:
        out: dict[str, float] = {}
        try:
            free, total = torch.cuda.mem_get_info(i)
            out[f"system/gpu{i}/memory_used_gb"] = (total - free) / GB  # the whole device, every process
        except RuntimeError:
            pass
        if not self._nvml:
            return out
        try:  # torch's wrappers map torch's device index to NVML's (CUDA_VISIBLE_DEVICES) and need pynvml
            out[f"system/gpu{i}/utilization"] = float(torch.cuda.utilization(i))
            out[f"system/gpu{i}/temperature_c"] = float(torch.cuda.temperature(i))
            out[f"system/gpu{i}/power_w"] = torch.cuda.power_draw(i) / 1000.0
        except Exception:  # no pynvml (pip install nvidia-ml-py), no NVIDIA driver, an AMD GPU
            self._nvml = False
        return out

    def stop(self) -> None:
        """Stop sampling (returns once the thread has ended)."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
