"""Audio: samples stored as a 16-bit PCM WAV (the standard library's ``wave``), with a waveform and a spectrogram.

The record (``media.audio``) holds the WAV, its min/max waveform (``channels x buckets x 2``, what
a player draws at any width) and a log-magnitude spectrogram as a PNG (Hann-windowed short-time
Fourier transform, channels mixed, the top 80 dB shown in matplotlib's magma colours, low
frequencies at the bottom). Float samples become 16-bit as TensorBoard converts them
(``int16(x * 32767)``); int16 samples are kept exactly. Reference: J. B. Allen, L. R. Rabiner,
"A unified approach to short-time Fourier analysis and synthesis", Proc. IEEE 65 (1977).

Example::

    rec = encode_audio(samples_lc, sample_rate=16000)    # writer thread
    rec.samples().shape                                  # (L,) mono, (L, 2) stereo
"""

from __future__ import annotations

import dataclasses
import html
import io
import wave
from typing import Any, ClassVar

import numpy as np

from ..records import Record, register_record

__all__ = ["Audio", "encode_audio", "pcm16", "spectrogram", "waveform"]

BUCKETS = 2000  # waveform min/max pairs per channel
N_FFT = 512
MAX_COLUMNS = 1024  # spectrogram time columns at most (long clips take a longer hop)
DB_RANGE = 80.0


@register_record
@dataclasses.dataclass
class Audio(Record):
    """A clip: ``wav`` (16-bit PCM), ``sample_rate`` Hz, ``channels``, ``length`` samples per channel,
    ``waveform`` (``channels x buckets x 2`` min/max in [-1, 1]), ``spectrogram`` (PNG) over
    ``[0, sample_rate / 2]`` Hz and ``db`` (its lowest and highest dB)."""

    kind: ClassVar[str] = "media.audio"
    wav: bytes
    sample_rate: int
    channels: int
    length: int
    waveform: np.ndarray
    spectrogram: bytes
    db: list[float] = dataclasses.field(default_factory=list)
    hop: int = N_FFT // 4
    caption: str | None = None

    @property
    def duration(self) -> float:
        """Seconds."""
        return self.length / self.sample_rate

    def samples(self) -> np.ndarray:
        """The samples as floats in [-1, 1] (``int16 / 32767``): ``(L,)`` mono, ``(L, C)`` otherwise."""
        with wave.open(io.BytesIO(self.wav)) as w:
            raw = np.frombuffer(w.readframes(w.getnframes()), "<i2")
        x = raw.reshape(-1, self.channels).astype(np.float32) / np.float32(32767)
        return x[:, 0] if self.channels == 1 else x

    def __getitem__(self, name: str) -> Any:
        """Field access as on TensorBoard's generic records: ``rec["samples"]``, ``rec["sample_rate"]``."""
        return self.samples() if name == "samples" else getattr(self, name)

    def figure(self) -> Any:
        """The waveform above the spectrogram."""
        from matplotlib.figure import Figure
        from PIL import Image

        fig = Figure(figsize=(7, 3.6))
        ax1, ax2 = fig.subplots(2, 1, sharex=True)
        t = np.linspace(0, self.duration, self.waveform.shape[1])
        for c in range(self.channels):
            ax1.fill_between(t, self.waveform[c, :, 0], self.waveform[c, :, 1], alpha=0.7, lw=0)
        ax1.set_ylim(-1, 1)
        ax1.set_ylabel("amplitude")
        ax2.imshow(np.asarray(Image.open(io.BytesIO(self.spectrogram))), aspect="auto",
                   extent=(0, self.duration, 0, self.sample_rate / 2000))
        ax2.set_ylabel("kHz")
        ax2.set_xlabel("seconds")
        return fig

    def _repr_html_(self) -> str:
        """A player (``<audio>``) with the waveform and the spectrogram."""
        from ._html import audio_player

        return audio_player(self, title=html.escape(self.caption or "audio"))


def pcm16(samples: np.ndarray) -> np.ndarray:
    """``L x C`` samples as int16: int16 kept, floats (clipped to [-1, 1]) as ``int16(x * 32767)``."""
    if samples.dtype == np.int16:
        return samples
    return (samples.astype(np.float64).clip(-1.0, 1.0) * np.iinfo(np.int16).max).astype("<i2")


def waveform(pcm: np.ndarray, buckets: int = BUCKETS) -> np.ndarray:
    """Min and max of each of ``buckets`` equal spans, per channel: ``channels x buckets x 2`` floats in [-1, 1]."""
    n = len(pcm)
    k = max(1, min(buckets, n))
    edges = np.linspace(0, n, k + 1).astype(np.int64)[:-1]
    x = pcm.astype(np.float32) / np.float32(32767)
    lo = np.minimum.reduceat(x, edges, axis=0)
    hi = np.maximum.reduceat(x, edges, axis=0)
    return np.stack([lo.T, hi.T], axis=-1).astype(np.float32)


def spectrogram(pcm: np.ndarray) -> tuple[bytes, list[float], int]:
    """(PNG of the log-magnitude STFT, [lowest, highest] dB, hop in samples) of ``L x C`` int16 samples."""
    from matplotlib import colormaps
    from PIL import Image

    mono = pcm.astype(np.float32).mean(axis=1) / np.float32(32767)
    if len(mono) < N_FFT:
        mono = np.pad(mono, (0, N_FFT - len(mono)))
    hop = max(N_FFT // 4, -(-(len(mono) - N_FFT) // (MAX_COLUMNS - 1)) if len(mono) > N_FFT else 1)
    starts = np.arange(0, len(mono) - N_FFT + 1, hop)
    frames = np.lib.stride_tricks.sliding_window_view(mono, N_FFT)[starts] * np.hanning(N_FFT).astype(np.float32)
    power = np.abs(np.fft.rfft(frames, axis=1)).T  # freq x time
    db = 20 * np.log10(np.maximum(power, 1e-10))
    top = float(db.max())
    low = top - DB_RANGE
    level = ((db.clip(low, top) - low) / DB_RANGE * 255).astype(np.uint8)[::-1]  # low frequencies at the bottom
    rgb = (colormaps["magma"](np.arange(256))[:, :3] * 255).astype(np.uint8)[level]
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", compress_level=6)
    return buf.getvalue(), [low, top], int(hop)


def encode_audio(samples: np.ndarray, sample_rate: int, *, caption: str | None = None) -> Audio:
    """An :class:`Audio` from ``L x C`` samples (floats in [-1, 1] or int16): ``encode_audio(x, 16000)``."""
    pcm = pcm16(samples if samples.ndim == 2 else samples[:, None])
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(pcm.shape[1])
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(np.ascontiguousarray(pcm, dtype="<i2").tobytes())
    png, db, hop = spectrogram(pcm)
    return Audio(wav=buf.getvalue(), sample_rate=int(sample_rate), channels=int(pcm.shape[1]), length=len(pcm),
                 waveform=waveform(pcm), spectrogram=png, db=db, hop=hop, caption=caption)
