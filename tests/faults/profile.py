"""Which fault profile runs: `short` in `make test` (one round of every fault), `long` on demand
(`make faults-long`: APEXTICK_FAULT_PROFILE=long, ten rounds under longer, heavier load)."""

from __future__ import annotations

import os

PROFILE = os.environ.get("APEXTICK_FAULT_PROFILE", "short")
if PROFILE not in {"short", "long"}:
    raise ValueError(f"APEXTICK_FAULT_PROFILE must be short or long, not {PROFILE!r}")
ROUNDS = 10 if PROFILE == "long" else 1
CUSTOMERS = 96 if PROFILE == "long" else 24
BUYERS = 36 if PROFILE == "long" else 12
