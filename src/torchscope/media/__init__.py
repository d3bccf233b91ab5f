"""Media beyond images: video, audio, point clouds and meshes, as records the tracker logs and every face shows.

- :class:`Video` (``media.video``): MP4 (H.264 through PyAV, ``pip install 'torchscope[media]'``) or a
  lossless PNG frame sprite; ``run.log_video(key, frames, fps=)``.
- :class:`Audio` (``media.audio``): a 16-bit WAV with its waveform and spectrogram;
  ``run.log_audio(key, samples, sample_rate=)``.
- :class:`Points` (``media.mesh``): a point cloud or a triangle mesh; ``run.log_points(key, xyz, colors=, faces=)``.

Each renders itself (``figure()``, and a player in a notebook); the dashboard's Media panel plays them.

Example::

    from torchscope.media import encode_video
    rec = encode_video(frames_thwc, fps=8)
"""

from .audio import Audio, encode_audio
from .points import Points, project_png
from .video import Video, encode_video, has_encoder

__all__ = ["Audio", "Points", "Video", "encode_audio", "encode_video", "has_encoder", "project_png"]
