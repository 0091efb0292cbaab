"""Preprocessing stages on generated pages: exact where the stage is exact, bounded otherwise."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from pipeline.imaging import cleanup, deskew, orient, photo
from pipeline.imaging.geometry import apply
from pipeline.imaging.prepare import PrepareOptions, prepare, quarter_turn_matrix, to_gray
from tests.synthetic import degrade, make_document, render_page


@pytest.fixture(scope="module")
def page() -> Image.Image:
    return render_page(make_document(5), 0, dpi=200).image


TURNS = {  # how the page was fed -> clockwise quarter turns that make it upright
    None: 0,
    Image.Transpose.ROTATE_270: 3,  # fed turned 90° clockwise
    Image.Transpose.ROTATE_180: 2,
    Image.Transpose.ROTATE_90: 1,
}


@pytest.mark.parametrize("tilt", [-12.0, -1.3, 0.0, 0.4, 3.0])
@pytest.mark.parametrize("fed", list(TURNS), ids=["upright", "cw90", "180", "ccw90"])
def test_orientation_and_tilt_are_found(
    page: Image.Image, fed: Image.Transpose | None, tilt: float
) -> None:
    image = page.rotate(tilt, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if fed is not None:
        image = image.transpose(fed)
    found = orient.detect(np.asarray(image))
    assert found.quarter_turns == TURNS[fed]
    if tilt == 0:  # a tilted page may leave the profiles unsure; OSD is then asked as well
        assert orient.is_confident(found)
    assert found.skew == pytest.approx(tilt, abs=0.1)


@pytest.mark.parametrize("kind", ["faded_rot90", "rot180", "bilevel", "seal_signature"])
def test_orientation_on_bad_scans(page: Image.Image, kind: str) -> None:
    image = degrade(page, kind, 1)
    gray, _ = to_gray(image, colour=True)
    want = {"faded_rot90": 3, "rot180": 2}.get(kind, 0)
    assert orient.detect(gray).quarter_turns == want


@settings(max_examples=12, deadline=None)
@given(st.floats(min_value=-15, max_value=15))
def test_deskew_is_within_a_tenth_of_a_degree(page: Image.Image, tilt: float) -> None:
    image = page.rotate(tilt, resample=Image.Resampling.BICUBIC, fillcolor=255)
    ink, _ = orient.ink_mask(np.asarray(image), long_side=1400)
    assert deskew.skew_angle(ink) == pytest.approx(tilt, abs=0.1)


def test_deskew_rotation_levels_the_page_and_maps_back(page: Image.Image) -> None:
    image = np.asarray(page.rotate(4.0, resample=Image.Resampling.BICUBIC, fillcolor=255))
    levelled, back = deskew.rotate(image, 4.0)
    ink, _ = orient.ink_mask(levelled, long_side=1400)
    assert abs(deskew.skew_angle(ink)) < 0.1
    h, w = image.shape
    assert apply(back, w / 2, h / 2) == pytest.approx((w / 2, h / 2))  # turns about the centre


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
def test_quarter_turn_matrix_matches_numpy(turns: int) -> None:
    grid = np.arange(12, dtype=np.uint8).reshape(3, 4)  # h=3, w=4
    turned = orient.turn(grid, turns)
    matrix = quarter_turn_matrix(4, 3, turns)
    for y in range(3):
        for x in range(4):
            u, v = apply(matrix, x + 0.5, y + 0.5)  # pixel centres
            assert turned[int(v), int(u)] == grid[y, x]


def test_stamp_colours_are_dropped_and_print_kept() -> None:
    pixels = np.array(
        [[[205, 30, 40], [25, 45, 170], [0, 0, 0], [238, 228, 196], [40, 10, 12], [155, 148, 127]]],
        dtype=np.uint8,
    )
    gray, bilevel = to_gray(Image.fromarray(pixels, "RGB"), colour=True)
    assert not bilevel
    red, blue, black, paper, print_under_seal, faded_ink = gray[0]
    assert red == 255 and blue == 255  # seal and pen ink become paper
    assert black == 0 and print_under_seal < 60  # text, even under the seal, stays dark
    assert paper == 238 and faded_ink == 155  # yellowed paper and faded toner untouched


def test_phone_photo_sheet_is_found_only_on_photos(page: Image.Image) -> None:
    shot = np.asarray(degrade(page, "phone", 2).convert("L"))
    corners = photo.find_sheet(shot)
    assert corners is not None
    flat, back = photo.flatten(shot, corners)
    assert flat.shape[0] / flat.shape[1] == pytest.approx(297 / 210, rel=0.05)  # A4 again
    assert apply(back, 0, 0) == pytest.approx(tuple(corners[0]), abs=1)
    assert photo.find_sheet(np.asarray(page)) is None  # a flatbed scan has no desk around it


def test_even_light_restores_contrast_of_faded_pages(page: Image.Image) -> None:
    faded, _ = to_gray(degrade(page, "faded", 3), colour=True)
    assert np.percentile(faded, 1) > 120  # the darkest ink is pale grey
    fixed = photo.even_light(faded)
    assert np.percentile(fixed, 1) < 40 and np.median(fixed) > 240


def test_prepare_reports_what_it_did(page: Image.Image) -> None:
    image = page.rotate(2.0, resample=Image.Resampling.BICUBIC, fillcolor=255)
    image = image.transpose(Image.Transpose.ROTATE_90)
    laps: list[str] = []
    done = prepare(image, 200, PrepareOptions(), laps.append)
    assert done.quarter_turns == 1
    assert done.upright_size == (image.height, image.width)
    assert done.notes["skew"] == pytest.approx(2.0, abs=0.1)
    assert laps == ["colour", "photo", "light", "orientation", "deskew"]
    nothing = prepare(
        image,
        200,
        PrepareOptions(colour=False, orientation=False, photo=False, light=False, deskew=False),
        laps.append,
    )
    assert nothing.quarter_turns == 0 and np.array_equal(nothing.to_upright, np.eye(3))


def test_noise_is_estimated_and_only_noisy_pages_are_denoised(page: Image.Image) -> None:
    clean = np.asarray(page)
    noisy = np.asarray(degrade(page, "noise", 1))
    assert cleanup.noise_sigma(clean) < 3 < cleanup.noise_sigma(noisy)
    assert cleanup.denoise(clean, 4.0)[1] is False
    smoothed, done = cleanup.denoise(noisy, 4.0)
    assert done and cleanup.noise_sigma(smoothed) < cleanup.noise_sigma(noisy) / 2


def test_sauvola_gives_black_text_on_white_even_when_faded(page: Image.Image) -> None:
    faded, _ = to_gray(degrade(page, "faded", 3), colour=True)
    binary = cleanup.sauvola(faded)
    assert set(np.unique(binary)) <= {0, 255}
    ink = np.asarray(page) < 128
    agree = ((binary == 0) == ink).mean()
    assert agree > 0.97  # the same pixels are ink as on the original print
