"""torchscope.media.audio: the WAV, its waveform and spectrogram."""

from __future__ import annotations

import io
import wave

import numpy as np

from torchscope.media.audio import encode_audio, pcm16, waveform
from torchscope.records import rebuild


def test_int16_is_kept_exactly_and_floats_convert_as_tensorboard():
    ints = np.array([[0], [1], [-32768], [32767], [-5]], np.int16)
    rec = encode_audio(ints, 8000)
    with wave.open(io.BytesIO(rec.wav)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000)
        np.testing.assert_array_equal(np.frombuffer(w.readframes(5), "<i2"), ints[:, 0])
    x = np.array([0.5, -0.25, 1.0, 0.0001], np.float32)
    np.testing.assert_array_equal(pcm16(x[:, None])[:, 0], (x * 32767).astype("<i2"))


def test_stereo_round_trips_with_waveform_and_a_spectrogram_peak_at_the_tone():
    rate, n = 16000, 16000
    t = np.arange(n) / rate
    left, right = 0.5 * np.sin(2 * np.pi * 1000 * t), 0.25 * np.sin(2 * np.pi * 1000 * t)
    rec = encode_audio(np.stack([left, right], 1).astype(np.float32), rate)
    data, blobs = rec.to_dict()
    rec = rebuild("media.audio", data, blobs)
    assert (rec.channels, rec.length, rec.duration) == (2, n, 1.0)
    assert np.abs(rec["samples"] - np.stack([left, right], 1)).max() < 1e-4
    assert rec.waveform.shape[:2] == (2, 2000) and abs(rec.waveform[0, :, 1].max() - 0.5) < 1e-3
    from PIL import Image

    spec = np.asarray(Image.open(io.BytesIO(rec.spectrogram))).astype(int).sum(-1)  # magma: brighter is louder
    peak = spec.mean(1).argmax()
    freq = (spec.shape[0] - 1 - peak) / (spec.shape[0] - 1) * rate / 2  # rows: high frequencies at the top
    assert abs(freq - 1000) < rate / 512 and rec.db[1] - rec.db[0] == 80
    assert "<audio" in rec._repr_html_() and rec.figure().axes


def test_the_waveform_holds_each_spans_extremes():
    pcm = np.zeros((10, 1), np.int16)
    pcm[3], pcm[7] = 32767, -32767
    mm = waveform(pcm, buckets=2)
    assert mm.shape == (1, 2, 2) and mm[0, 0].tolist() == [0.0, 1.0] and mm[0, 1].tolist() == [-1.0, 0.0]
