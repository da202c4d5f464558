"""A parsed ``schedule`` (``tracker.schedule``) as the APScheduler trigger the daemon runs."""

from __future__ import annotations

from datetime import datetime, tzinfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from tzlocal import get_localzone

from tracker.schedule import Schedule


def trigger_for(
    schedule: Schedule, *, jitter: int | None = None, start: datetime | None = None, tz: tzinfo | None = None
) -> BaseTrigger:
    """The APScheduler trigger; ``start`` anchors an interval (next fire = start + k·interval)."""
    tz = tz or get_localzone()
    if schedule.interval is not None:
        return IntervalTrigger(
            seconds=int(schedule.interval.total_seconds()),
            start_date=start,
            timezone=tz,
            jitter=jitter or None,
        )
    assert schedule.cron is not None
    trigger = CronTrigger.from_crontab(schedule.cron, timezone=tz)
    trigger.jitter = jitter or None  # from_crontab takes no jitter argument
    return trigger
