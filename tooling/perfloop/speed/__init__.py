"""The speed machinery: caches and shortcuts that give the core's answers sooner.

Nothing here decides an outcome: every module stores, finds or replays what the pure core
(`loader`, `model`, `rules`, `scoring`, `calibration`) computes, keyed by the content and
the code it came from. The core never imports this package; `engine.py` is the one door
the commands use. The design is described in the guide (`site/guide/speed.md`).
"""
