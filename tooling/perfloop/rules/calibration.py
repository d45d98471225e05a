"""Calibration files (spec section 4, "Calibration check"): see `perfloop.calibration.check`."""

from __future__ import annotations

from collections.abc import Iterable

from ..calibration import check as check_calibrations
from ..model import CycleData
from ..problems import Problem


def check(data: CycleData) -> Iterable[Problem]:
    return check_calibrations(data)
