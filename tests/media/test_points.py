"""torchscope.media.points: the record (TensorBoard's mesh layout) and its 2-D projection."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from torchscope.media.points import Points, project_png, view_matrix
from torchscope.records import rebuild

TETRA = np.array([[[1, 1, 1], [-1, -1, 1], [1, -1, -1], [-1, 1, -1]]], np.float32)
FACES = np.array([[[0, 2, 3], [0, 3, 1], [0, 1, 2], [1, 3, 2]]], np.int32)


def test_round_trip_and_field_access():
    rec = Points(vertices=TETRA, faces=FACES, colors=np.full((1, 4, 3), 200, np.uint8), config={"camera": {"fov": 60}})
    data, blobs = rec.to_dict()
    back = rebuild("media.mesh", data, blobs)
    assert isinstance(back, Points) and back.is_mesh and back.config == {"camera": {"fov": 60}}
    np.testing.assert_array_equal(back["vertices"], TETRA)
    assert back.bounds() == ([-1.0, -1.0, -1.0], [1.0, 1.0, 1.0])


def test_the_projection_draws_the_mesh_and_the_cloud():
    mesh = np.asarray(Image.open(io.BytesIO(project_png(Points(vertices=TETRA, faces=FACES), size=64))))
    assert mesh.shape == (64, 64, 3) and (mesh.sum(-1) > 120).mean() > 0.15 and mesh[32, 32].sum() > 120  # filled
    red_green = np.array([[[255, 0, 0], [0, 255, 0]]], np.uint8)
    cloud = Points(vertices=np.array([[[0, 0, 0], [1, 0, 0]]], np.float32), colors=red_green)
    img = np.asarray(Image.open(io.BytesIO(project_png(cloud, azimuth=0, elevation=0, size=40))))
    assert img[20, 6, 0] > 100 and img[20, 34, 1] > 100 and img[20, 20].sum() < 100  # x to the right, from the front


def test_view_matrix_is_a_rotation():
    m = view_matrix(30, 20)
    np.testing.assert_allclose(m @ m.T, np.eye(3), atol=1e-12)


def test_the_notebook_view_starts_as_the_projection():
    page = Points(vertices=TETRA, faces=FACES)._repr_html_()
    assert "<canvas" in page and "data:image/png;base64," in page and "4 points, 4 faces" in page
