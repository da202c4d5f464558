"""A source's ``schedule`` text (``every 6h`` or a 5-field cron line) as an APScheduler trigger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from tzlocal import get_localzone

from tracker.config import parse_interval


class ScheduleError(ValueError):
    """The schedule text is neither ``every N<s|m|h|d>`` nor a 5-field cron expression."""


@dataclass(frozen=True)
class Schedule:
    text: str
    interval: timedelta | None = None  # set for "every ..." schedules
    cron: str | None = None  # set for cron schedules

    def trigger(
        self, *, jitter: int | None = None, start: datetime | None = None, tz: tzinfo | None = None
    ) -> BaseTrigger:
        """The APScheduler trigger; ``start`` anchors an interval (next fire = start + k·interval)."""
        tz = tz or get_localzone()
        if self.interval is not None:
            return IntervalTrigger(
                seconds=int(self.interval.total_seconds()),
                start_date=start,
                timezone=tz,
                jitter=jitter or None,
            )
        assert self.cron is not None
        trigger = CronTrigger.from_crontab(self.cron, timezone=tz)
        trigger.jitter = jitter or None  # from_crontab takes no jitter argument
        return trigger

    def next_after(self, moment: datetime, tz: tzinfo | None = None) -> datetime:
        """The first nominal fire time strictly after ``moment`` (no jitter)."""
        if self.interval is not None:
            return moment + self.interval
        assert self.cron is not None
        trigger = CronTrigger.from_crontab(self.cron, timezone=tz or get_localzone())
        fire = trigger.get_next_fire_time(None, moment + timedelta(seconds=1))
        assert fire is not None  # a crontab line always fires again
        return fire


def parse_schedule(text: str) -> Schedule:
    seconds = parse_interval(text)
    if seconds is not None:
        if seconds <= 0:
            raise ScheduleError(f"schedule {text!r}: the interval must be positive")
        return Schedule(text=text, interval=timedelta(seconds=seconds))
    if len(text.split()) == 5:
        try:
            CronTrigger.from_crontab(text)
        except ValueError as exc:
            raise ScheduleError(f"schedule {text!r}: {exc}") from exc
        return Schedule(text=text, cron=text.strip())
    raise ScheduleError(
        f"schedule {text!r}: use 'every 30s|15m|6h|1d' or a 5-field cron line like '0 6 * * *'"
    )
