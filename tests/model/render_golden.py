"""Render the golden SVGs to PNG so a person can look at them (needs ``pip install cairosvg``).

Run: ``python -m tests.model.render_golden /tmp/golden_png`` after updating the golden files
with ``TORCHSCOPE_UPDATE_GOLDEN=1 pytest tests/model``, and open the PNGs before committing.
"""

from __future__ import annotations

import sys
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def main(out: str) -> None:
    import cairosvg

    dest = Path(out)
    dest.mkdir(parents=True, exist_ok=True)
    for svg in sorted(GOLDEN.glob("*.svg")):
        png = dest / (svg.stem + ".png")
        cairosvg.svg2png(url=str(svg), write_to=str(png))
        print(png)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "golden_png")
