"""GitHub's REST rate limits as the sandbox enforces them: an hourly budget per caller, and armed secondary limits.

Primary: each caller (a token's user, or the client IP when unauthenticated) has ``limit`` requests per window
(an hour on GitHub); the window starts at the caller's first counted request and ``reset`` is its end, in epoch
seconds. ``304 Not Modified`` answers and ``GET /rate_limit`` are not counted, as on GitHub
(https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate).

Secondary: GitHub answers 403 (or 429) with ``Retry-After`` when a client is too fast or too concurrent
(https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits).
The sandbox does not guess when; it is armed (``arm``) to refuse the next N requests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

PRIMARY_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
SECONDARY_DOCS = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits"
)


@dataclass
class Budget:
    limit: int
    used: int
    reset: int
    resource: str = "core"

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
            "X-RateLimit-Used": str(self.used),
            "X-RateLimit-Resource": self.resource,
        }


@dataclass(frozen=True)
class Secondary:
    status: int
    retry_after: int


class RateLimits:
    def __init__(self, window: int = 3600, clock: Callable[[], float] = time.time) -> None:
        self._window = window
        self._clock = clock
        self._budgets: dict[str, Budget] = {}
        self._armed: list[Secondary] = []
        self._lock = threading.Lock()

    def budget(self, caller: str, limit: int, resource: str = "core") -> Budget:
        """The caller's current budget for ``resource`` (a fresh one once the window has passed)."""
        now = int(self._clock())
        with self._lock:
            budget = self._budgets.get(f"{resource}:{caller}")
            if budget is None or budget.reset <= now or budget.limit != limit:
                budget = self._budgets[f"{resource}:{caller}"] = Budget(limit, 0, now + self._window, resource)
            return budget

    def charge(self, budget: Budget) -> None:
        with self._lock:
            budget.used += 1

    def arm(self, count: int, status: int = 403, retry_after: int = 60) -> None:
        """Refuse the next ``count`` API requests with a secondary rate limit."""
        with self._lock:
            self._armed = [Secondary(status, retry_after)] * count

    def take_secondary(self) -> Secondary | None:
        with self._lock:
            return self._armed.pop() if self._armed else None

    def reset(self) -> None:
        with self._lock:
            self._budgets.clear()
            self._armed.clear()


def primary_message(who: str, authenticated: bool) -> str:
    if authenticated:
        return (
            f"API rate limit exceeded for user ID {who}. If you reach out to GitHub Support for help, please "
            "include the request ID and timestamp in your message."
        )
    return (
        f"API rate limit exceeded for {who}. (But here's the good news: Authenticated requests get a higher rate "
        "limit. Check out the documentation for more details.)"
    )


SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to "
    "GitHub Support for help, please include the request ID and timestamp in your message."
)
