"""Synthetic Vietnamese case-file pages for tests and benchmarks.

Everything here is invented: names, places and numbers are drawn from small lists by a seeded
random generator, so no real person's data is ever committed or rendered.
"""

from tests.synthetic.degrade import DEGRADATIONS, degrade
from tests.synthetic.documents import SyntheticDocument, make_document
from tests.synthetic.render import RenderedPage, render_page

__all__ = [
    "DEGRADATIONS",
    "RenderedPage",
    "SyntheticDocument",
    "degrade",
    "make_document",
    "render_page",
]
