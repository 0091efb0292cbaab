"""Linking documents to enforcement cases: a pure matcher over cases held in memory."""

from pipeline.linking.matcher import (
    Candidate,
    CaseIndex,
    CaseRecord,
    Decision,
    DocumentFacts,
    Thresholds,
    decide,
    rank,
)

__all__ = [
    "Candidate",
    "CaseIndex",
    "CaseRecord",
    "Decision",
    "DocumentFacts",
    "Thresholds",
    "decide",
    "rank",
]
