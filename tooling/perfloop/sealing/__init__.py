"""Sealed files (SPEC section 7): confidential files encrypted in git to exactly their audience.

`audience` says who may read a confidential file (pure, over the model); `age` seals, opens
and inspects age files (the edge around pyrage). Sealing sits at the load edge: the core never
imports this package, and plaintext of a sealed file is never written to disk.
"""
