"""Character error rate that does not punish the reading order of the header columns."""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

_WS = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFC and single spaces, as both sides are compared."""
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


def line_errors(truth_line: str, output: str) -> int:
    """Edits needed to turn ``truth_line`` into its best-matching place in ``output``."""
    line = normalize(truth_line)
    if not line:
        return 0
    if not output:
        return len(line)
    alignment = fuzz.partial_ratio_alignment(line, output)
    if alignment is None:
        return len(line)
    start = max(0, alignment.dest_start - 2)
    end = min(len(output), alignment.dest_end + 2)
    window = output[start:end]
    # The window is padded a little; the best sub-window is the cheapest trim of it.
    best = Levenshtein.distance(line, output[alignment.dest_start : alignment.dest_end])
    for a in range(0, min(3, len(window))):
        for b in range(len(window), max(a, len(window) - 3), -1):
            best = min(best, Levenshtein.distance(line, window[a:b]))
    return int(best)


def cer(truth: str, output: str) -> tuple[int, int]:
    """(errors, true length) for one page: each true line matched to its best place."""
    out = normalize(output)
    errors = total = 0
    for line in truth.splitlines():
        norm = normalize(line)
        if not norm:
            continue
        total += len(norm)
        errors += line_errors(norm, out)
    return errors, total
