"""Opening and closing everything the service runs: store, users, rules,
the case state, and its three threads (publisher, source consumer, timer)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from hallscore.core.cases.policy import load_policy
from hallscore.core.periods import SHANGHAI
from hallscore.core.rubric_set import load_rubric_set, rubric_files
from hallscore.core.schedule import load_halls
from hallscore.core.workdays import REPO_CALENDARS, Calendar
from hallscore.kafka.admin import ensure_topics
from hallscore.kafka.producer import make_producer
from schemas.topics import CASE_TOPIC, DEFAULT_PARTITIONS, FAMILY_TOPICS
from services.rectification.consumer import SourceConsumer
from services.rectification.db import EventStore
from services.rectification.issuing import Directory
from services.rectification.metrics import RectificationMetrics
from services.rectification.outbox import Publisher
from services.rectification.service import Clock, RectificationService
from services.rectification.settings import RectificationSettings
from services.rectification.timer import Ticker
from services.rectification.users import UserStore

log = logging.getLogger(__name__)
# Topics this service writes to (complaint.outcome goes to the complaints topic).
OUT_TOPICS = (CASE_TOPIC, FAMILY_TOPICS["rectification"], FAMILY_TOPICS["complaint"])


def wall_clock() -> datetime:
    return datetime.now(SHANGHAI)


@dataclass
class Runtime:
    settings: RectificationSettings
    service: RectificationService
    users: UserStore
    publisher: Publisher
    consumer: SourceConsumer | None
    ticker: Ticker

    def health(self) -> dict[str, Any]:
        c = self.consumer
        return {"status": "ok", "cases": len(self.service.cases),
                "unpublished": self.service.store.count_unpublished(),
                "publisher": {"running": self.publisher.running, "published": self.publisher.published,
                              "failures": self.publisher.failures, "last_error": self.publisher.last_error},
                "consumer": None if c is None else {"running": c.running, "assigned": c.assigned,
                                                    "records": c.records, "errors": c.errors,
                                                    "last_error": c.last_error},
                "timer": {"ticks": self.ticker.ticks, "interval_s": self.ticker.interval_s,
                          "last_error": self.ticker.last_error}}

    def close(self) -> None:
        for part in (self.ticker, self.consumer, self.publisher):
            if part is not None:
                part.stop()


def snapshot(svc: RectificationService, rt: "Runtime | None") -> dict:
    open_, overdue, provisional = {}, {}, 0
    for c in svc.all_cases():
        if c.closed:
            continue
        open_[c.kind] = open_.get(c.kind, 0) + 1
        overdue[c.kind] = overdue.get(c.kind, 0) + bool(c.overdue)
        provisional += sum(r.provisional for r in c.deadlines.values())
    assigned = int(bool(rt and rt.consumer and rt.consumer.assigned))
    return {"open": open_, "overdue": overdue, "provisional": provisional,
            "unpublished": svc.store.count_unpublished(), "assigned": assigned}


def check_files(settings: RectificationSettings) -> None:
    """Read every data file once so a mistake stops the start with its line."""
    load_policy(settings.deadlines_file)
    load_halls(settings.halls_file)
    load_rubric_set(rubric_files(settings.rubrics_dir))
    Calendar.from_dirs(REPO_CALENDARS, settings.calendars_dir)


def open_runtime(settings: RectificationSettings, metrics: RectificationMetrics, *, clock: Clock | None = None,
                 producer_factory: Callable[[str], Any] | None = None,
                 setup_topics: Callable[..., Any] | None = None, consume: bool = True) -> Runtime:
    """Read the rules (a bad file fails here), fold the store, start the threads."""
    policy = load_policy(settings.deadlines_file)
    directory = Directory(load_halls(settings.halls_file), load_rubric_set(rubric_files(settings.rubrics_dir)))
    store = EventStore(settings.db_path)
    users = UserStore(settings.db_path)
    svc = RectificationService(store, policy, directory, clock or wall_clock, metrics,
                               calendars_dir=settings.calendars_dir, device=settings.device_id)
    (setup_topics or ensure_topics)(settings.kafka_bootstrap, {t: DEFAULT_PARTITIONS for t in OUT_TOPICS})
    if settings.republish_on_start:
        log.info("republishing %d stored events", store.mark_all_unpublished())
    make = producer_factory or make_producer
    publisher = Publisher(store, lambda: make(settings.kafka_bootstrap), svc.wake).start()
    consumer = None
    if consume:
        consumer = SourceConsumer(settings.kafka_bootstrap, svc.on_source_event, group=settings.consumer_group,
                                  on_opened=metrics.open_lag.observe,
                                  on_record=lambda o: metrics.source_events.labels(outcome=o).inc()).start()
    ticker = Ticker(svc.tick, settings.timer_interval_s).start()
    rt = Runtime(settings, svc, users, publisher, consumer, ticker)
    metrics.snapshot = lambda: snapshot(svc, rt)
    return rt
