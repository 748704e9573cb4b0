"""Dead letters for admins: inspect what was parked and why, and replay it once its cause is fixed
(the caller policy in the contract admits admins only)."""

from __future__ import annotations

from collections.abc import Sequence

from notification.service_layer.ports import DeadLetterInfo, DeadLetters

DEFAULT_PAGE, MAX_PAGE = 50, 200


class DeadLetterAdmin:
    def __init__(self, dead: DeadLetters) -> None:
        self._dead = dead

    def list(self, size: int) -> Sequence[DeadLetterInfo]:
        return self._dead.peek(min(size or DEFAULT_PAGE, MAX_PAGE))

    def replay(self, message_ids: Sequence[str]) -> int:
        """Replaying moves a message out of the dead-letter queue, so a retried request finds nothing
        left to move: the effect happens once."""
        return self._dead.replay(frozenset(message_ids) or None)
