"""`perfloop demo`: a realistic generated company (generator.py) written from a vocabulary
of names and phrases (words.py)."""

from .generator import CYCLE_ID, MAX_PEOPLE, MIN_PEOPLE, PHASES, generate

__all__ = ["CYCLE_ID", "MAX_PEOPLE", "MIN_PEOPLE", "PHASES", "generate"]
