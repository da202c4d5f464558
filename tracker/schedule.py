"""A source's ``schedule``: ``every N<unit>`` or a 5-field cron line. The one parser and validator,
asked by the sources file, the scheduler and ``status`` alike.

Cron fields are checked by APScheduler's crontab parser (imported only for cron lines): the
scheduler runs the schedule with it, so it is the one to say what is valid. Turning a schedule
into an APScheduler trigger is the scheduler's business (``scheduler/triggers.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

_EVERY_RE = re.compile(r"^every\s+(\d+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_CRON_FIELD_RE = re.compile(r"^[\d*/,\-A-Za-z?]+$")


class ScheduleError(ValueError):
    """The schedule text is neither ``every N<s|m|h|d>`` nor a valid 5-field cron expression."""


@dataclass(frozen=True)
class Schedule:
    text: str
    interval: timedelta | None = None  # set for "every ..." schedules
    cron: str | None = None  # set for cron schedules

    def next_after(self, moment: datetime, tz: tzinfo | None = None) -> datetime:
        """The first nominal fire time strictly after ``moment`` (no jitter)."""
        if self.interval is not None:
            return moment + self.interval
        assert self.cron is not None
        from apscheduler.triggers.cron import CronTrigger
        from tzlocal import get_localzone

        trigger = CronTrigger.from_crontab(self.cron, timezone=tz or get_localzone())
        fire = trigger.get_next_fire_time(None, moment + timedelta(seconds=1))
        assert fire is not None  # a crontab line always fires again
        return fire


def parse_interval(schedule: str) -> int | None:
    """``"every 30s"`` -> 30, ``"every 6h"`` -> 21600; None when it is not an interval."""
    match = _EVERY_RE.match(schedule.strip().lower())
    if not match:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)[0]]


def parse_schedule(text: str) -> Schedule:
    """The schedule ``text`` means, or ScheduleError saying what is wrong with it."""
    if text.lower().startswith("every"):
        seconds = parse_interval(text)
        if seconds is None or seconds <= 0:
            raise ScheduleError(f"{text!r}: write e.g. 'every 30s', 'every 15m', 'every 6h', 'every 1d'")
        return Schedule(text=text, interval=timedelta(seconds=seconds))
    fields = text.split()
    if len(fields) != 5 or not all(_CRON_FIELD_RE.match(part) for part in fields):
        raise ScheduleError(
            f"{text!r} is neither an interval ('every 6h') nor a 5-field cron expression ('0 6 * * *')"
        )
    # Fields out of range ('99 6 * * *') pass the shape check: the crontab parser decides.
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(text)
    except ValueError as exc:
        raise ScheduleError(f"{text!r} is not a valid cron expression: {exc}") from None
    return Schedule(text=text, cron=text.strip())
