"""The font the PDF report cards are set in: WenQuanYi Micro Hei, a TrueType collection
with Latin and Chinese glyphs, embedded (subset) in every PDF so Chinese supplier names
render on any reader.

It comes from the PyPI package ``paperang-p2-fonts-cjk`` (the same file as Debian's
``fonts-wqy-microhei``); Debian's copy is used when the package is absent, and the
setting ``REPORTS_CJK_FONT`` (a path to a TrueType font or collection) overrides both.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from django.conf import settings

FONT_NAME = "ReportCJK"
DEBIAN_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)


class FontMissing(RuntimeError):
    pass


def font_path() -> Path:
    configured = getattr(settings, "REPORTS_CJK_FONT", "")
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontMissing(f"REPORTS_CJK_FONT points to {path}, which is not a file")
        return path
    try:
        packaged = Path(str(resources.files("paperang_p2_fonts_cjk") / "fonts" / "wqy-microhei.ttc"))
    except ModuleNotFoundError:
        packaged = None
    for candidate in (packaged, *DEBIAN_FONTS):
        if candidate is not None and candidate.is_file():
            return candidate
    raise FontMissing("no CJK font for PDF report cards: install the Python package paperang-p2-fonts-cjk "
                      "(or Debian's fonts-wqy-microhei), or set REPORTS_CJK_FONT to a TrueType font")


@functools.cache
def register_font() -> str:
    """Register the font with reportlab once per process; returns its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = font_path()
    font = TTFont(FONT_NAME, str(path), subfontIndex=0) if path.suffix.lower() == ".ttc" else TTFont(
        FONT_NAME, str(path))
    pdfmetrics.registerFont(font)
    # One weight only: bold and italic map to the same face so <b> in paragraphs works.
    pdfmetrics.registerFontFamily(FONT_NAME, normal=FONT_NAME, bold=FONT_NAME, italic=FONT_NAME,
                                  boldItalic=FONT_NAME)
    return FONT_NAME
