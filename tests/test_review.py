"""The reviewer's flags for a page read with a doubt, in both languages."""

from __future__ import annotations

from pipeline.review import Flag, flags_for, message, warnings
from pipeline.text.quality import PageQuality


def test_a_page_with_text_under_a_dark_seal_is_a_warning_in_vietnamese_and_english() -> None:
    fine = PageQuality(95.0, 0.97, 0.98, "ok")
    sealed = PageQuality(93.0, 0.95, 0.93, "doubtful", ("seal_over_text",), 0.07, 0.69)
    flags = flags_for([fine, sealed], [0, 0], None)
    assert flags == [Flag("page_doubtful", 2, {"reasons": ["seal_over_text"]})]
    assert warnings([f.as_dict() for f in flags]) == 1
    vi = message(flags[0], "vi")
    assert vi.startswith("Một phần trang 2 đọc chưa chắc chắn") and "con dấu" in vi
    assert "signer's title and name" in message(flags[0], "en")
    assert sealed.as_dict()["sealed"] == 0.69
