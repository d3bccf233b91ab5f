"""Notebook players of the media records: self-contained HTML (data URIs, a few lines of inline script).

A video plays in a ``<video>`` (MP4) or steps through its PNG sprite, with a frame slider either
way; audio gets an ``<audio>`` player over its waveform (SVG) and spectrogram; points and meshes
an orbit view on a canvas (drag to turn, wheel to zoom) that starts as the projected PNG, which is
what stays when the notebook does not run scripts.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import numpy as np

__all__ = ["audio_player", "points_player", "video_player"]

NOTEBOOK_POINTS = 20_000  # points drawn on the notebook's canvas at most (evenly picked)


def _uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _display_width(width: int) -> int:
    return width * max(1, 256 // max(width, 1)) if width < 256 else min(width, 640)


def video_player(rec: Any, title: str) -> str:
    """HTML of a :class:`~torchscope.media.video.Video` with a frame scrubber."""
    vid = f"tsv{uuid.uuid4().hex[:10]}"
    w = _display_width(rec.width)
    label = f"<span id='{vid}l'>frame 1 / {rec.length}</span>"
    meta = f"{rec.length} frames at {rec.fps:g} fps, {rec.width}x{rec.height}"
    if rec.mime == "video/mp4":
        media = (f"<video id='{vid}' src='{_uri(rec.mime, rec.data)}' controls loop muted playsinline "
                 f"style='width:{w}px;image-rendering:pixelated' "
                 f"ontimeupdate=\"var i=Math.min({rec.length - 1},Math.floor(this.currentTime*{rec.fps}));"
                 f"document.getElementById('{vid}s').value=i;"
                 f"document.getElementById('{vid}l').textContent='frame '+(i+1)+' / {rec.length}'\"></video>")
        seek = (f"var v=document.getElementById('{vid}');v.pause();v.currentTime=(+this.value+0.5)/{rec.fps};"
                f"document.getElementById('{vid}l').textContent='frame '+(+this.value+1)+' / {rec.length}'")
        play = ""
    else:
        cols, rows = rec.columns, -(-rec.length // rec.columns)
        h = round(w * rec.height / rec.width)
        pos = (f"var i=+this.value,c=i%{cols},r=Math.floor(i/{cols}),e=document.getElementById('{vid}');"
               f"e.style.backgroundPosition=({max(cols - 1, 1)}>0?c*100/{max(cols - 1, 1)}:0)+'% '+"
               f"({max(rows - 1, 1)}>0?r*100/{max(rows - 1, 1)}:0)+'%';"
               f"document.getElementById('{vid}l').textContent='frame '+(i+1)+' / {rec.length}'")
        media = (f"<div id='{vid}' role='img' aria-label='video' style='width:{w}px;height:{h}px;"
                 f"background:url({_uri(rec.mime, rec.data)}) 0 0/{cols * 100}% {rows * 100}% no-repeat;"
                 f"image-rendering:pixelated'></div>")
        seek = pos
        play = (f"<button onclick=\"var s=document.getElementById('{vid}s');if(this._t){{clearInterval(this._t);"
                f"this._t=0;this.textContent='play';return}}this.textContent='pause';this._t=setInterval(function(){{"
                f"s.value=(+s.value+1)%{rec.length};s.oninput()}},{1000 / rec.fps:.1f})\">play</button> ")
    slider = (f"<input id='{vid}s' type='range' min='0' max='{rec.length - 1}' value='0' step='1' "
              f"style='width:{w}px' aria-label='frame' oninput=\"{seek}\">")
    return (f"<div class='torchscope-record'><b>{title}</b> <small>{meta}</small><br/>{media}<br/>{slider}<br/>"
            f"{play}{label}</div>")


def _wave_svg(waveform: np.ndarray, width: int = 640, height: int = 80) -> str:
    paths = []
    colors = ("#4c78a8", "#f58518")
    for c, mm in enumerate(waveform):
        n = len(mm)
        xs = np.linspace(0, width, n)
        y = lambda v: (1 - v) * height / 2  # noqa: E731
        top = " ".join(f"{x:.1f},{y(v):.1f}" for x, v in zip(xs, mm[:, 1]))
        bottom = " ".join(f"{x:.1f},{y(v):.1f}" for x, v in zip(xs[::-1], mm[::-1, 0]))
        paths.append(f"<polygon points='{top} {bottom}' fill='{colors[c % 2]}' fill-opacity='0.75'/>")
    return (f"<svg width='{width}' height='{height}' viewBox='0 0 {width} {height}' role='img' aria-label='waveform'>"
            f"<line x1='0' x2='{width}' y1='{height / 2}' y2='{height / 2}' stroke='#999' stroke-width='0.5'/>"
            f"{''.join(paths)}</svg>")


def audio_player(rec: Any, title: str) -> str:
    """HTML of an :class:`~torchscope.media.audio.Audio`: player, waveform, spectrogram."""
    wf = rec.waveform
    k = max(1, wf.shape[1] // 640)  # fewer spans for the SVG: the extremes of each group of k, never a stride
    n = wf.shape[1] // k * k
    small = np.stack([wf[:, :n, 0].reshape(len(wf), -1, k).min(-1), wf[:, :n, 1].reshape(len(wf), -1, k).max(-1)], -1)
    layout = "mono" if rec.channels == 1 else f"{rec.channels} channels"
    meta = f"{rec.duration:.2f} s, {rec.sample_rate} Hz, {layout}"
    return (f"<div class='torchscope-record'><b>{title}</b> <small>{meta}</small><br/>"
            f"<audio controls src='{_uri('audio/wav', rec.wav)}' style='width:640px'></audio><br/>"
            f"{_wave_svg(small)}<br/>"
            f"<img alt='spectrogram' src='{_uri('image/png', rec.spectrogram)}' style='width:640px;height:160px'/>"
            f"<br/><small>spectrogram 0-{rec.sample_rate / 2000:g} kHz, {rec.db[0]:.0f} to {rec.db[1]:.0f} dB</small>"
            f"</div>")


_ORBIT = """(function(){var c=document.getElementById('%(id)s');if(!c||!c.getContext)return;
var d=%(data)s,P=new Float32Array(Uint8Array.from(atob(d.p),function(x){return x.charCodeAt(0)}).buffer),
C=d.c?Uint8Array.from(atob(d.c),function(x){return x.charCodeAt(0)}):null,F=d.f?new Int32Array(Uint8Array.from(
atob(d.f),function(x){return x.charCodeAt(0)}).buffer):null,n=P.length/3,az=0.5,el=0.35,zoom=1,g=c.getContext('2d');
c.previousSibling&&c.previousSibling.remove&&c.previousSibling.remove();c.style.display='block';
function draw(){var W=c.width,H=c.height,s=Math.min(W,H)/2*zoom,ca=Math.cos(az),sa=Math.sin(az),ce=Math.cos(el),
se=Math.sin(el),X=new Float32Array(n),Y=new Float32Array(n),Z=new Float32Array(n),U=new Float32Array(n),
V=new Float32Array(n);g.fillStyle='#16181e';
g.fillRect(0,0,W,H);for(var i=0;i<n;i++){var x=P[3*i],y=P[3*i+1],z=P[3*i+2],x1=ca*x-sa*z,z1=sa*x+ca*z,
y2=ce*y-se*z1,z2=se*y+ce*z1;U[i]=x1;V[i]=y2;X[i]=W/2+x1*s;Y[i]=H/2-y2*s;Z[i]=z2}
function col(v,k){var r=0,g2=0,b=0;v.forEach(function(i){r+=C?C[3*i]:140;g2+=C?C[3*i+1]:160;b+=C?C[3*i+2]:190});
k/=v.length;return 'rgb('+(r*k|0)+','+(g2*k|0)+','+(b*k|0)+')'}
if(F){var m=F.length/3,o=[];for(var t=0;t<m;t++)o.push(t);var zt=function(t){return Z[F[3*t]]+Z[F[3*t+1]]+Z[F[3*t+2]]};
o.sort(function(a,b){return zt(a)-zt(b)});o.forEach(function(t){var a=F[3*t],b=F[3*t+1],e=F[3*t+2],
p1=U[b]-U[a],p2=V[b]-V[a],p3=Z[b]-Z[a],q1=U[e]-U[a],q2=V[e]-V[a],q3=Z[e]-Z[a],
nz=p1*q2-p2*q1,l=Math.hypot(p2*q3-p3*q2,p3*q1-p1*q3,nz)||1;
g.fillStyle=col([a,b,e],0.25+0.75*Math.abs(nz)/l);g.beginPath();g.moveTo(X[a],Y[a]);g.lineTo(X[b],Y[b]);g.lineTo(X[e],Y[e]);
g.fill()})}else{var o=Array.from({length:n},function(_,i){return i}).sort(function(a,b){return Z[a]-Z[b]});
o.forEach(function(i){g.fillStyle=col([i],0.6+0.4*(Z[i]+1)/2);g.fillRect(X[i]-1.5,Y[i]-1.5,3,3)})}}
var drag=null;c.onpointerdown=function(e){drag=[e.clientX,e.clientY];c.setPointerCapture(e.pointerId)};
c.onpointermove=function(e){if(!drag)return;az+=(e.clientX-drag[0])*0.01;el=Math.max(-1.55,Math.min(1.55,
el+(e.clientY-drag[1])*0.01));drag=[e.clientX,e.clientY];draw()};c.onpointerup=function(){drag=null};
c.onwheel=function(e){e.preventDefault();zoom*=Math.exp(-e.deltaY*0.001);draw()};draw()})();"""


def points_player(rec: Any, title: str) -> str:
    """HTML of a :class:`~torchscope.media.points.Points`: the projection, replaced by an orbit canvas."""
    from .points import project_png

    v = np.asarray(rec.vertices[0], np.float32)
    faces = rec.faces[0] if rec.is_mesh else None
    colors = rec.colors[0] if rec.colors is not None else None
    if faces is None and len(v) > NOTEBOOK_POINTS:
        pick = np.linspace(0, len(v) - 1, NOTEBOOK_POINTS).astype(np.int64)
        v, colors = v[pick], None if colors is None else colors[pick]
    centre = (v.max(0) + v.min(0)) / 2 if len(v) else np.zeros(3, np.float32)
    radius = float(np.linalg.norm(v - centre, axis=1).max()) if len(v) else 1.0
    unit = ((v - centre) / (radius or 1.0)).astype("<f4")
    def b64(arr: np.ndarray | None, dtype: str) -> str | None:
        return None if arr is None else base64.b64encode(np.ascontiguousarray(arr, dtype).tobytes()).decode()

    data = {"p": b64(unit, "<f4"), "c": b64(colors, "u1"), "f": b64(faces, "<i4")}
    cid = f"tsp{uuid.uuid4().hex[:10]}"
    n = rec.vertices.shape[1]
    meta = f"{n:,} points" + (f", {rec.faces.shape[1]:,} faces" if rec.is_mesh else "")
    still = _uri("image/png", project_png(rec, size=360))
    script = _ORBIT % {"id": cid, "data": json.dumps(data)}
    return (f"<div class='torchscope-record'><b>{title}</b> <small>{meta}; drag to turn, wheel to zoom</small><br/>"
            f"<img alt='projection' src='{still}' width='360' height='360'/>"
            f"<canvas id='{cid}' width='360' height='360' style='display:none;touch-action:none;cursor:grab'></canvas>"
            f"<script>{script}</script></div>")
