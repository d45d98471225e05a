"""Calibration files (spec section 4, "Calibration check"): see `perfloop.calibration.check`."""

from __future__ import annotations

from collections.abc import Iterable

from ..calibration import check as check_calibrations
from ..frozen import recorded_scores
from ..model import CycleData
from ..problems import Problem
from .reads import SCORES, Reads

# A group's ratings against its members' scores (reads.py).
READS = Reads.of("cycle", "org", "template", "calibration", relations={SCORES})


def check(data: CycleData) -> Iterable[Problem]:
    # A closed cycle's files are checked against its record (frozen.py): a goals file
    # edited after the close is reported there, not as a calibration that no longer fits.
    return check_calibrations(data, recorded_scores(data))
