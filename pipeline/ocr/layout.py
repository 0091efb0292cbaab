"""Where the lines of a page are and in which order they are read.

A line detector finds printed lines, but on an official document two things defeat reading
them as they come. The header has two columns that share baselines (the issuing body and its
number on the left, the motto and the place and date on the right), and a detector happily
boxes "CỤC THI HÀNH ÁN DÂN SỰ TỈNH X    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" as one line; and
the signature block puts "Nơi nhận:" beside the signer's title. So boxes are first cut where the
ink leaves a gap far wider than a word space, and then ordered by recursive cuts through the
widest empty band, across or down the page: the header falls apart into its left block and its
right block, each read top to bottom, before the title and the body.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from pipeline.ocr.page import Box

Gray = NDArray[np.uint8]
COLUMN_GAP = 2.2  # a gap wider than this many line heights separates two columns
MIN_COLUMN_GAP = 1.0  # an empty band narrower than this many line heights is no column gap
# Share of a seal's grey that must lie inside strokes (not on the print's soft edges) for it to
# be a second ink: about 0.55 for a red seal scanned in grey, 0 for a smoothed fax.
SEAL_BODY = 0.2


def ink(gray: Gray) -> NDArray[np.uint8]:
    """1 where there is ink, by Otsu's threshold of the whole (evenly lit) page."""
    _, mask = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return np.asarray(mask, dtype=np.uint8)


def split_columns(mask: NDArray[np.uint8], boxes: Sequence[Box]) -> list[Box]:
    """Cut each box where its ink has a gap wider than ``COLUMN_GAP`` line heights.

    The pieces are trimmed to their ink, so a box that ran into blank margin shrinks to its
    words. A box with no ink at all is kept as it is (the detector may see faint text the
    threshold misses).
    """
    out: list[Box] = []
    height, width = mask.shape
    for box in boxes:
        x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(width, box[2]), min(height, box[3])
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        columns = mask[y0:y1, x0:x1].max(axis=0)
        filled = np.flatnonzero(columns)
        if len(filled) == 0:
            out.append((x0, y0, x1, y1))
            continue
        gap = max(3, int(COLUMN_GAP * (y1 - y0)))
        start = prev = int(filled[0])
        for col in filled[1:]:
            col = int(col)
            if col - prev > gap:
                out.append((x0 + start, y0, x0 + prev + 1, y1))
                start = col
            prev = col
        out.append((x0 + start, y0, x0 + prev + 1, y1))
    return out


def line_height(boxes: Sequence[Box]) -> float:
    """The median height of the boxes (the body text's line height on a document page)."""
    return float(statistics.median(b[3] - b[1] for b in boxes)) if boxes else 0.0


def _gaps(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Empty intervals between the union of ``spans`` (start, end), as (start, end)."""
    gaps: list[tuple[int, int]] = []
    spans = sorted(spans)
    reach = spans[0][1]
    for start, end in spans[1:]:
        if start > reach:
            gaps.append((reach, start))
        reach = max(reach, end)
    return gaps


def reading_order(boxes: Sequence[Box]) -> list[int]:
    """Indices of ``boxes`` in reading order (recursive cuts through the widest empty band).

    Horizontal bands are ordered top to bottom and vertical ones left to right. A vertical cut
    must be at least ``MIN_COLUMN_GAP`` line heights wide, so the space between two words of a
    line broken in two never makes columns; a horizontal cut may be any height, since lines
    are separate boxes already.
    """
    if not boxes:
        return []
    unit = max(1.0, line_height(boxes))

    def order(members: list[int]) -> list[int]:
        if len(members) < 2:
            return members
        across = _gaps([(boxes[i][1], boxes[i][3]) for i in members])
        down = [
            gap
            for gap in _gaps([(boxes[i][0], boxes[i][2]) for i in members])
            if gap[1] - gap[0] >= MIN_COLUMN_GAP * unit
        ]
        best_across = max(across, key=lambda g: g[1] - g[0], default=None)
        best_down = max(down, key=lambda g: g[1] - g[0], default=None)
        if best_down is not None and (
            best_across is None or best_down[1] - best_down[0] > best_across[1] - best_across[0]
        ):
            cut, axis = best_down, 0
        elif best_across is not None:
            cut, axis = best_across, 1
        else:  # overlapping boxes: read them by their top, then their left edge
            return sorted(members, key=lambda i: (boxes[i][1], boxes[i][0]))
        first = [i for i in members if boxes[i][axis + 2] <= cut[0]]
        second = [i for i in members if boxes[i][axis + 2] > cut[0]]
        return order(first) + order(second)

    return order(list(range(len(boxes))))


def blocks(boxes: Sequence[Box], ordered: Sequence[int]) -> list[int]:
    """A block number for each box in ``ordered``: a new block where the reading jumps.

    A jump is a move up the page or sideways into another column, or a vertical gap of more
    than one and a half line heights; blocks become blank lines in the page text, as
    Tesseract's own blocks did.
    """
    unit = max(1.0, line_height(boxes))
    out: list[int] = []
    block = 0
    previous: Box | None = None
    for index in ordered:
        box = boxes[index]
        if previous is not None:
            upward = box[1] < previous[1] - 0.5 * unit
            aside = box[0] >= previous[2] or box[2] <= previous[0]
            apart = box[1] - previous[3] > 1.5 * unit
            if upward or aside or apart:
                block += 1
        out.append(block)
        previous = box
    return out


def text_ink(mask: NDArray[np.uint8], boxes: Sequence[Box], unit: float) -> tuple[int, int]:
    """How many letter-sized marks of ink lie inside ``boxes``, and how many the page has.

    A mark is letter-sized when it is between a fifth and one and a half line heights
    (``unit``) tall and at most three wide: seals, signatures, rules and specks are not
    text a reader could have missed. Counted at half resolution, which is plenty for marks a
    line high.
    """
    small = mask[::2, ::2]
    count, _, stats, centroids = cv2.connectedComponentsWithStats(small, connectivity=8)
    half = max(1.0, unit / 2)
    inside = np.zeros(small.shape, dtype=np.uint8)
    grow = 0.3 * half
    for x0, y0, x1, y1 in boxes:
        inside[
            max(0, int(y0 / 2 - grow)) : int(y1 / 2 + grow) + 1,
            max(0, int(x0 / 2 - grow)) : int(x1 / 2 + grow) + 1,
        ] = 1
    total = covered = 0
    for k in range(1, count):
        height, width = stats[k, cv2.CC_STAT_HEIGHT], stats[k, cv2.CC_STAT_WIDTH]
        if not (0.2 * half <= height <= 1.5 * half and width <= 3 * half):
            continue
        total += 1
        cx, cy = centroids[k]
        covered += int(inside[min(int(cy), small.shape[0] - 1), min(int(cx), small.shape[1] - 1)])
    return covered, total


def without_second_ink(
    gray: Gray, boxes: Sequence[Box], paper: int = 200
) -> tuple[Gray, list[int]]:
    """The page with a lighter second ink taken out of ``boxes``, and which boxes had one.

    A seal or a stamp scanned in greyscale lies over the signer's title as a mid-grey ring,
    lighter than the black print it crosses, and both recognisers read the two as one. Where
    a line's ink falls into a dark group and a large lighter group, the lighter one is made
    paper. Returns the cleaned copy (the input itself when no box had a second ink) and the
    indices of the boxes it changed.
    """
    cleaned: Gray | None = None
    changed: list[int] = []
    height, width = gray.shape
    for k, (x0, y0, x1, y1) in enumerate(boxes):
        pad = max(2, (y1 - y0) // 4)
        region = (
            slice(max(0, y0 - pad), min(height, y1 + pad)),
            slice(max(0, x0 - pad), min(width, x1 + pad)),
        )
        crop = gray[region]
        ink = crop < paper
        count = int(ink.sum())
        if count < 50:
            continue
        dark = float(np.percentile(crop[ink], 5))
        cut = dark + 60
        lighter = (ink & (crop > cut)).astype(np.uint8)
        if cut >= paper or int(lighter.sum()) < 0.25 * count:
            continue
        # The grey edges of black letters are a pixel wide; a seal's strokes are wide, so
        # they survive an erosion.
        core = cv2.erode(lighter, np.ones((3, 3), np.uint8))
        if int(core.sum()) < 0.1 * count:
            continue
        if cleaned is None:
            cleaned = gray.copy()
        cleaned[region] = np.where(crop > cut, 255, crop).astype(np.uint8)
        changed.append(k)
    return (gray if cleaned is None else cleaned), changed


@dataclass(frozen=True)
class Seal:
    """A round seal found on a page: its centre and outer radius in pixels.

    ``one_ink`` is true when the seal is as dark as the print (a fax, a black stamp, a grey
    photocopy): only its rings could be taken out, so the letters it covers are read through
    its lettering and star, and their reading is doubtful unless the recognisers agree on it.
    """

    x: float
    y: float
    radius: float
    one_ink: bool

    def covers(self, box: Box) -> bool:
        """Whether the seal lies over a line of the print in ``box`` (x0, y0, x1, y1).

        The disk must reach into the box, and the box must reach out of the disk: a box wholly
        inside it holds the seal's own lettering, not a line of the document.
        """
        nearest_x = min(max(self.x, box[0]), box[2])
        nearest_y = min(max(self.y, box[1]), box[3])
        if (nearest_x - self.x) ** 2 + (nearest_y - self.y) ** 2 >= self.radius**2:
            return False
        corners = ((x, y) for x in (box[0], box[2]) for y in (box[1], box[3]))
        return any((x - self.x) ** 2 + (y - self.y) ** 2 > self.radius**2 for x, y in corners)


def without_rings(gray: Gray) -> tuple[Gray, tuple[Seal, ...]]:
    """The page with the rings of round seals taken out, and the seals found.

    On a fax or a grey photocopy the seal is as black as the print it is stamped over (the
    signer's title, the signer's name), so no ink can be told from the other; but its rings are
    circles, which no letter is. Circles are found on a small copy (Hough, a few milliseconds),
    kept only when ink covers nearly all of their circumference, and every ring of the seal
    (the thick outer one and the thin inner one) is made paper. The seal's own small lettering
    stays; the recognisers read past it. A colour scan's seal is gone before this (the colour
    stage), so nothing is found there.
    """
    height, width = gray.shape
    scale = 700 / max(height, width)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    found = cv2.HoughCircles(
        cv2.GaussianBlur(small, (5, 5), 0),
        cv2.HOUGH_GRADIENT,
        dp=1.2,
        minDist=30,
        param1=120,
        param2=35,
        minRadius=int(0.06 * small.shape[1]),  # an office seal is about 40 mm across
        maxRadius=int(0.13 * small.shape[1]),
    )
    if found is None:
        return gray, ()
    ink = gray < 128
    angles = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    cleaned: Gray | None = None
    seals: list[Seal] = []
    cos, sin = np.cos(angles), np.sin(angles)

    def profile(cx: float, cy: float, radii: NDArray[np.float64]) -> NDArray[np.float64]:
        """Share of ink along each circle of ``radii`` around (cx, cy)."""
        xs = np.clip((cx + radii[:, None] * cos).astype(int), 0, width - 1)
        ys = np.clip((cy + radii[:, None] * sin).astype(int), 0, height - 1)
        return np.asarray(ink[ys, xs].mean(axis=1), dtype=np.float64)

    for cx, cy, r in found[0][:8]:
        cx, cy, r = cx / scale, cy / scale, r / scale
        near = np.arange(0.9 * r, 1.1 * r, 2.0)
        if profile(cx, cy, near).max() < 0.3:
            continue
        # The small copy places the centre a few pixels off: look around it (coarse, then
        # fine) for the centre at which the ring is whole.
        for step in (2.0 / scale, 0.5 / scale):
            _, cx, cy = max(
                (float(profile(cx + dx, cy + dy, near).max()), cx + dx, cy + dy)
                for dx in (-2 * step, -step, 0.0, step, 2 * step)
                for dy in (-2 * step, -step, 0.0, step, 2 * step)
            )
        radii = np.arange(0.55 * r, 1.3 * r, 1.0)
        if profile(cx, cy, radii).max() < 0.85:
            continue  # not a drawn circle: text or a signature happened to look round
        rings = radii[profile(cx, cy, radii) >= 0.6]
        x0, x1 = max(0, int(cx - rings.max() - 12)), min(width, int(cx + rings.max() + 13))
        y0, y1 = max(0, int(cy - rings.max() - 12)), min(height, int(cy + rings.max() + 13))
        yy, xx = np.ogrid[y0:y1, x0:x1]
        distance = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)
        ring = np.zeros(distance.shape, dtype=bool)
        for q in rings:
            ring |= np.abs(distance - q) <= 2.0
        if cleaned is None:
            cleaned = gray.copy()
        window = cleaned[y0:y1, x0:x1]
        lighter = _seal_tone(window, distance <= rings.max() + 10)
        if lighter is not None:
            window[lighter] = 255  # a grey seal: rings, lettering and star; the print stays
        else:
            ring &= ~_crossed(window < 128, (cx - x0, cy - y0), rings)
            window[ring & (window < 230)] = 255  # the ring's grey edges too
        seals.append(Seal(float(cx), float(cy), float(rings.max()), lighter is None))
    return (gray if cleaned is None else cleaned), tuple(seals)


def _crossed(
    ink: NDArray[np.bool_], centre: tuple[float, float], rings: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """Pixels of a ring band where a stroke crosses it: ink just inside and just outside.

    A letter of the title or the name that the ring runs through goes on on both sides of
    the band; the ring alone has paper on at least one side. Those pixels are kept, so the
    letters stay whole. ``centre`` is the seal's centre (x, y) in ``ink``'s coordinates.
    """
    height, width = ink.shape
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    dx, dy = xx - centre[0], yy - centre[1]
    distance = np.hypot(dx, dy)
    cos, sin = dx / np.maximum(distance, 1e-6), dy / np.maximum(distance, 1e-6)
    kept = np.zeros(ink.shape, dtype=bool)
    cuts = np.flatnonzero(np.diff(rings) > 1.5)
    for band in np.split(rings, cuts + 1):
        inner, outer = float(band.min()) - 2.0, float(band.max()) + 2.0
        here = (distance >= inner) & (distance <= outer)

        def ink_at(radius: float) -> NDArray[np.bool_]:
            xs = np.clip(np.rint(centre[0] + radius * cos), 0, width - 1).astype(int)
            ys = np.clip(np.rint(centre[1] + radius * sin), 0, height - 1).astype(int)
            return np.asarray(ink[ys, xs], dtype=bool)

        kept |= here & ink_at(inner - 3.0) & ink_at(outer + 3.0)
    return kept


def _seal_tone(window: Gray, disk: NDArray[np.bool_]) -> NDArray[np.bool_] | None:
    """Inside a seal's disk, the pixels of an ink lighter than the print, if it has one.

    A red seal scanned in greyscale is a mid grey; the title and the name it is stamped over
    are black. Where the disk's ink falls into two groups (Otsu's cut) whose typical tones lie
    far apart, and the lighter group is substantial, everything lighter than the cut is the
    seal. On a fax or a black stamp there is one group, and only the rings go.
    """
    values = window[disk & (window < 200)]
    if values.size < 500:
        return None
    cut, _ = cv2.threshold(values.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark, light = values[values <= cut], values[values > cut]
    if light.size < 0.2 * values.size or dark.size < 0.05 * values.size:
        return None
    if float(np.median(light)) - float(np.percentile(dark, 25)) < 70:
        return None
    lighter = disk & (window > cut)
    # A fax or a bilevel scan smoothed for reading has grey too, but only at the edges of its
    # strokes, a pixel or two wide; a second ink has strokes of its own, with grey inside them.
    grey = (lighter & (window < 200)).astype(np.uint8)
    inside = cv2.erode(grey, np.ones((3, 3), np.uint8))
    if int(inside.sum()) < SEAL_BODY * int(grey.sum()):
        return None
    return lighter


def without_rules(gray: Gray, dpi: float) -> tuple[Gray, int]:
    """The page with long thin horizontal rules made paper, and how many there were.

    The official layout underlines the motto ("Độc lập - Tự do - Hạnh phúc") and the issuing
    body, and forms and tables draw rules under and between lines. A rule touching the
    letters above it makes Tesseract read the whole line as garbage. A rule is a run of ink
    longer than any dash (half an inch) and thinner than a stroke of a letter is tall; only its
    own pixels go, so a letter it crosses keeps the rest of its strokes.
    """
    dark = gray < 160
    cells = dark.astype(np.uint8)
    length = max(25, round(0.5 * dpi))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1))
    # Rows holding a run of ink that long (an erosion, cheap), grouped into bands; only those
    # bands are looked at closely, so a page without rules costs one pass.
    rows = np.flatnonzero(cv2.erode(cells, kernel).any(axis=1))
    thin = max(3, round(0.035 * dpi))
    rules: list[tuple[int, int, int, int]] = []
    for band in np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1) if rows.size else ():
        top, bottom = max(0, int(band[0]) - 1), min(gray.shape[0], int(band[-1]) + 2)
        runs = cv2.morphologyEx(cells[top:bottom], cv2.MORPH_OPEN, kernel)
        count, _, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
        for k in range(1, count):
            x, y, w, h = (int(v) for v in stats[k, :4])
            if h <= thin and w >= length:
                rules.append((x, top + y, x + w, top + y + h))
    if not rules:
        return gray, 0
    cleaned = gray.copy()
    for x0, y0, x1, y1 in rules:
        # Rows the rule fills end to end; letters sitting on it fill a row only in places.
        full = [y for y in range(y0, y1) if dark[y, x0:x1].mean() >= 0.85]
        if not full:
            continue
        # Where a descender (p, g, y) passes through the rule, the ink goes on below it: kept.
        beneath = min(gray.shape[0] - 1, max(full) + 3)
        through = dark[beneath, x0:x1] & dark[max(0, min(full) - 3), x0:x1]
        for y in full:
            cleaned[y, x0:x1][~through] = 255
        # Its grey edges, a row above and below: only where lighter than the letters' ink.
        for y in (min(full) - 1, max(full) + 1):
            if 0 <= y < gray.shape[0]:
                row = cleaned[y, x0:x1]
                row[row > 100] = 255
    return cleaned, len(rules)


def separated(mask: NDArray[np.uint8], boxes: Sequence[Box]) -> list[Box]:
    """Each box cut back where it overlaps a line above or below it, at the emptiest row.

    A text-line detector draws generous boxes (ascenders, marks above capitals, descenders),
    and on closely set text each reaches well into its neighbours. Where two boxes overlap,
    the row with the least ink (``mask``: 1 where there is ink) between them is where one
    line ends and the next begins: the marks above a line's letters rise higher than its
    neighbour's descenders fall, so the middle of the overlap would cut them off.
    """
    out: list[Box] = []
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        top, bottom = y0, y1
        middle = (y0 + y1) / 2
        for j, (u0, v0, u1, v1) in enumerate(boxes):
            left, right = max(x0, u0), min(x1, u1)
            if j == i or right <= left:
                continue  # itself, or beside it rather than above or below
            if (v0 + v1) / 2 < middle and v1 > y0:
                top = max(top, _emptiest(mask, y0, v1, left, right))
            elif (v0 + v1) / 2 > middle and v0 < y1:
                bottom = min(bottom, _emptiest(mask, v0, y1, left, right) + 1)
        if bottom - top < (y1 - y0) / 2:
            top, bottom = y0, y1  # nested boxes: nothing sensible to cut
        out.append((x0, top, x1, bottom))
    return out


def _emptiest(mask: NDArray[np.uint8], y0: int, y1: int, x0: int, x1: int) -> int:
    """The row between ``y0`` and ``y1`` with the least ink in columns ``x0``-``x1``."""
    counts = mask[y0:y1, x0:x1].sum(axis=1)
    if counts.size == 0:
        return y0
    low = counts.min()
    rows = np.flatnonzero(counts == low)
    return y0 + int(rows[len(rows) // 2])  # the middle of an empty band
