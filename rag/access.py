"""How often a password may be tried: a back-off per client and one over all clients (an attacker with many
addresses), so guessing costs minutes per try while the owner's typo costs nothing.

Each client (and all of them together) may fail FREE_ATTEMPTS (GLOBAL_FREE_ATTEMPTS) times; every further
failure doubles the wait before the next try (2 s, 4 s, 8 s, …, at most MAX_WAIT_S). A success clears the
client's failures and the global ones; failures FORGET_S old are forgotten. The clock is a seam for tests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

FREE_ATTEMPTS = 5
GLOBAL_FREE_ATTEMPTS = 20
MAX_WAIT_S = 300.0
FORGET_S = 3600.0
ALL = "*"  # the key of the global count


class SignInLimits:
    """Failed password attempts per client (an address, or "local") and in all, for the life of the process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._failures: dict[str, tuple[int, float]] = {}  # key → (failures in a row, time of the last one)
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """Seconds before `client` may try again (0: now); a try during a wait is refused without being checked."""
        with self._lock:
            now = self._clock()
            return max(self._left(client, FREE_ATTEMPTS, now), self._left(ALL, GLOBAL_FREE_ATTEMPTS, now))

    def failed(self, client: str) -> None:
        """Count a wrong password (logged with the client and the counts, never what was typed)."""
        with self._lock:
            now = self._clock()
            self._failures = {k: v for k, v in self._failures.items() if now - v[1] < FORGET_S}
            for key in (client, ALL):
                self._failures[key] = (self._failures.get(key, (0, now))[0] + 1, now)
            mine, everyone = self._failures[client][0], self._failures[ALL][0]
        log.warning("sign-in failed from %s (%d failures in a row from it, %d in all)", client, mine, everyone)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)
            self._failures.pop(ALL, None)

    def _left(self, key: str, free: int, now: float) -> float:
        failures, last = self._failures.get(key, (0, now))
        if failures < free or now - last >= FORGET_S:
            return 0.0
        return max(0.0, last + min(2.0 ** (failures - free + 1), MAX_WAIT_S) - now)
