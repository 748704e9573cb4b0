"""How often a buyer may have an order's tickets emailed again: a mailbox is not a free resource, and a
resend button is the easiest way to turn our SMTP reputation into someone else's spam."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from apextick_platform.errors import DomainError, ErrorCode


@dataclass(frozen=True)
class ResendPolicy:
    max_per_window: int = 3
    window: timedelta = timedelta(hours=1)
    min_interval: timedelta = timedelta(seconds=60)

    def check(self, previous: Sequence[datetime], now: datetime) -> None:
        """Raise RESEND_LIMITED unless another resend may go now. `previous` are the times of earlier
        resends of the same order (any order, any age); the caller holds the order's lock, so two
        concurrent requests cannot both see room for one more."""
        recent = sorted(at for at in previous if now - at < self.window)
        waits = []
        if recent and now - recent[-1] < self.min_interval:
            waits.append(self.min_interval - (now - recent[-1]))
        if len(recent) >= self.max_per_window:
            # Room opens when the oldest resend that still counts leaves the window.
            waits.append(self.window - (now - recent[len(recent) - self.max_per_window]))
        if waits:
            retry_after = math.ceil(max(waits).total_seconds())
            raise DomainError(
                ErrorCode.RESEND_LIMITED,
                f"tickets were resent too recently; try again in {retry_after} s",
                metadata={"retry_after_seconds": str(retry_after)},
            )
