"""The outbox against real channels: webhook down then up, SMTP, JSON Lines, apprise, give-up and retry."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.scheduler.rows import add_run_with_changes
from tests.scheduler.servers import smtp_server, webhook_server
from tracker.config import ChannelConfig
from tracker.models import CrawlRun, Delivery, DeliveryStatus
from tracker.notify import (
    RetryPolicy,
    build_digest,
    deliver_pending,
    failed_deliveries,
    outbox_counts,
    retry_failed,
)

NO_WAIT = RetryPolicy(max_attempts=5, base_seconds=0)


def _statuses(factory: sessionmaker[Session]) -> dict[int, tuple[str, int]]:
    with factory() as session:
        rows = session.execute(select(Delivery.change_id, Delivery.status, Delivery.attempts))
        return {change: (status, attempts) for change, status, attempts in rows}


def test_webhook_down_for_two_runs_then_up_delivers_every_event_exactly_once(session_factory):
    with webhook_server(up=False) as hook:
        channels = [ChannelConfig(name="hook", type="webhook", url=hook.url)]
        all_ids: list[int] = []
        for _ in range(2):
            _run, ids = add_run_with_changes(session_factory)
            all_ids += ids
            report = deliver_pending(session_factory, channels, policy=NO_WAIT)
            assert report.sent == 0 and report.errors
        assert hook.refused >= 2 and not hook.received
        assert all(status == "pending" for status, _ in _statuses(session_factory).values())
        hook.up = True
        report = deliver_pending(session_factory, channels, policy=NO_WAIT)
        assert report.ok and report.sent == len(all_ids)
        assert report.messages == 2  # one digest per crawl run
        again = deliver_pending(session_factory, channels, policy=NO_WAIT)
        assert again.sent == 0 and again.messages == 0
    assert sorted(hook.change_ids()) == sorted(all_ids)
    statuses = _statuses(session_factory)
    assert {status for status, _ in statuses.values()} == {"sent"}
    first_run_attempts = statuses[all_ids[0]][1]
    assert first_run_attempts == 3  # failed twice, then sent
    body = hook.received[0]
    assert "地区生产总值增长：5.5%左右 → 6%左右" in body["text"]
    assert "有效性：有效 → 废止" in body["text"]


def test_unreachable_endpoint_backs_off_and_is_not_due_before_its_time(session_factory):
    with webhook_server() as hook:
        url = hook.url
    # The server is gone: connection refused.
    channels = [ChannelConfig(name="hook", type="webhook", url=url)]
    _run, ids = add_run_with_changes(session_factory, documents=1)
    policy = RetryPolicy(max_attempts=5, base_seconds=3600)
    report = deliver_pending(session_factory, channels, policy=policy)
    assert report.retrying == len(ids) and "unreachable" in report.errors[0]
    assert deliver_pending(session_factory, channels, policy=policy).messages == 0
    with session_factory() as session:
        due = session.scalars(select(Delivery.next_attempt_at)).all()
    assert all(d.replace(tzinfo=d.tzinfo or UTC) > datetime.now(UTC) + timedelta(minutes=50) for d in due)


def test_gives_up_after_max_attempts_keeps_the_failure_and_can_requeue(session_factory):
    with webhook_server(up=False) as hook:
        channels = [ChannelConfig(name="hook", type="webhook", url=hook.url)]
        _run, ids = add_run_with_changes(session_factory, documents=1)
        policy = RetryPolicy(max_attempts=2, base_seconds=0)
        deliver_pending(session_factory, channels, policy=policy)
        report = deliver_pending(session_factory, channels, policy=policy)
        assert report.gave_up == len(ids)
        assert deliver_pending(session_factory, channels, policy=policy).messages == 0
        with session_factory() as session:
            failed = failed_deliveries(session)
            assert {f["change_id"] for f in failed} == set(ids)
            assert all("503" in f["last_error"] for f in failed)
            assert outbox_counts(session)["hook"]["failed"] == len(ids)
        with session_factory() as session, session.begin():
            assert retry_failed(session) == len(ids)
        hook.up = True
        assert deliver_pending(session_factory, channels, policy=policy).sent == len(ids)
    assert sorted(hook.change_ids()) == sorted(ids)


def test_concurrent_senders_never_send_an_event_twice(session_factory):
    with webhook_server() as hook:
        hook.delay = 0.3
        channels = [ChannelConfig(name="hook", type="webhook", url=hook.url)]
        _run, ids = add_run_with_changes(session_factory, documents=3)
        threads = [
            threading.Thread(
                target=deliver_pending, args=(session_factory, channels), kwargs={"policy": NO_WAIT}
            )
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(hook.change_ids()) == sorted(ids)
    assert {s for s, _ in _statuses(session_factory).values()} == {DeliveryStatus.SENT}


def test_email_digest_through_a_local_smtp_server(session_factory):
    with smtp_server() as (host, port, messages):
        url = f"smtp://{host}:{port}/?from=govwatch@example.org&to=ops@example.org,cn@example.org"
        channels = [ChannelConfig(name="mail", type="email", url=url)]
        _run, ids = add_run_with_changes(session_factory, channels=("mail",))
        report = deliver_pending(session_factory, channels, policy=NO_WAIT)
        assert report.ok and report.messages == 1 and report.sent == len(ids)
    assert len(messages) == 1
    envelope = messages[0]
    assert sorted(envelope.rcpt_tos) == ["cn@example.org", "ops@example.org"]
    mail = message_from_bytes(envelope.original_content)
    subject = str(make_header(decode_header(mail["Subject"])))
    assert "wuxi-dfgw" in subject and "2 份文件发生变化" in subject
    assert mail.get_content_type() == "text/plain"  # never HTML built from page text
    assert mail["Date"] and mail["Message-ID"].endswith("@example.org>")
    body = mail.get_payload(decode=True).decode(mail.get_content_charset())
    assert "【无锡市2024年政府工作要点（0）】" in body
    assert "目标调整 地区生产总值增长：5.5%左右 → 6%左右" in body


def test_jsonl_and_console_channels_write_one_record_per_run(session_factory, tmp_path: Path, capsys):
    path = tmp_path / "out" / "changes.jsonl"
    channels = [
        ChannelConfig(name="file", type="jsonl", url=str(path)),
        ChannelConfig(name="console", type="console"),
    ]
    _run, ids = add_run_with_changes(session_factory, channels=("file", "console"))
    report = deliver_pending(session_factory, channels, policy=NO_WAIT)
    assert report.ok and report.messages == 2
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert sorted(c["id"] for c in record["changes"]) == sorted(ids)
    assert record["changes"][0]["details"]["indicator"] == "地区生产总值增长"
    assert "5.5%左右 → 6%左右" in capsys.readouterr().out


def test_apprise_url_posts_to_a_local_endpoint(session_factory):
    with webhook_server() as hook:
        apprise_url = hook.url.replace("http://", "json://")
        channels = [ChannelConfig(name="im", type="apprise", url=apprise_url)]
        _run, ids = add_run_with_changes(session_factory, channels=("im",), documents=1)
        report = deliver_pending(session_factory, channels, policy=NO_WAIT)
        assert report.ok and report.sent == len(ids)
    assert len(hook.received) == 1
    assert "5.5%左右 → 6%左右" in hook.received[0]["message"]


def test_apprise_html_services_get_page_markup_escaped(session_factory):
    with webhook_server() as hook:
        # format=html makes apprise's JSON service behave like its HTML ones (e-mail ...).
        apprise_url = hook.url.replace("http://", "json://") + "?format=html"
        channels = [ChannelConfig(name="im", type="apprise", url=apprise_url)]
        add_run_with_changes(session_factory, channels=("im",), documents=1, title="<script>x()</script>")
        assert deliver_pending(session_factory, channels, policy=NO_WAIT).ok
    message = hook.received[0]["message"]
    assert "<script>" not in message
    assert "&lt;script&gt;x()&lt;/script&gt;" in message


def test_deliveries_of_unconfigured_channels_stay_pending(session_factory):
    with webhook_server() as hook:
        channels = [ChannelConfig(name="hook", type="webhook", url=hook.url)]
        _run, ids = add_run_with_changes(session_factory, channels=("hook", "old-channel"), documents=1)
        report = deliver_pending(session_factory, channels, policy=NO_WAIT)
    assert report.sent == len(ids)
    with session_factory() as session:
        counts = outbox_counts(session)
    assert counts["old-channel"]["pending"] == len(ids)
    assert counts["hook"]["sent"] == len(ids)


def test_webhook_headers_take_secrets_from_the_environment(session_factory, monkeypatch):
    monkeypatch.setenv("GOVWATCH_TEST_HOOK_TOKEN", "s3cret")
    with webhook_server() as hook:
        options = {"headers": {"Authorization": "Bearer ${GOVWATCH_TEST_HOOK_TOKEN}"}}
        channels = [ChannelConfig(name="hook", type="webhook", url=hook.url, options=options)]
        add_run_with_changes(session_factory, documents=1)
        assert deliver_pending(session_factory, channels, policy=NO_WAIT).ok
    assert hook.headers[0]["Authorization"] == "Bearer s3cret"


def test_digest_reads_well_for_every_kind_of_event():
    rows = [
        {
            "id": 1,
            "document_id": 7,
            "source": "zhonglou",
            "title": "钟楼区2024年政府工作报告",
            "url": "https://www.zhonglou.gov.cn/doc/2024/02/20/1.shtml",
            "kind": "target_changed",
            "details": {
                "indicator": "招引数据服务头部企业",
                "old": {"value": 4, "value_max": 5, "unit": "家", "qualifier": None, "text": "4-5家"},
                "new": {"value": 6, "value_max": None, "unit": "家", "qualifier": "以上", "text": "6家以上"},
            },
        },
        {
            "id": 2,
            "document_id": 7,
            "source": "zhonglou",
            "title": "钟楼区2024年政府工作报告",
            "url": "https://www.zhonglou.gov.cn/doc/2024/02/20/1.shtml",
            "kind": "content_changed",
            "details": {
                "added": 1,
                "removed": 0,
                "edited": 1,
                "excerpts": [{"op": "edited", "old": "…外贸进出口稳中提质…", "new": "…外贸进出口稳中向好…"}],
            },
        },
        {
            "id": 3,
            "document_id": 8,
            "source": "zhonglou",
            "title": None,
            "url": "https://www.zhonglou.gov.cn/doc/2024/01/05/2.shtml",
            "kind": "document_removed",
            "details": {"status_code": 404},
        },
        {
            "id": 4,
            "document_id": 9,
            "source": "zhonglou",
            "title": "通知",
            "url": "https://www.zhonglou.gov.cn/doc/2024/01/06/3.shtml",
            "kind": "target_added",
            "details": {
                "indicator": "外贸进出口",
                "old": None,
                "new": {"value": None, "text": "外贸进出口稳中提质"},
            },
        },
    ]
    digest = build_digest(rows, crawl_run_id=12)
    assert digest.subject == "govwatch：zhonglou 有 3 份文件发生变化"
    text = digest.text
    assert text.startswith("govwatch 监测到 zhonglou（抓取 #12）的 4 项变化，涉及 3 份文件。")
    assert "目标调整 招引数据服务头部企业：4-5家 → 6家以上" in text
    assert "正文修改：新增1段，修改1段" in text
    assert "「…外贸进出口稳中提质…」→「…外贸进出口稳中向好…」" in text
    assert "文件撤下（HTTP 404）" in text and "【（无标题）】" in text
    assert "新增目标 外贸进出口：（无） → 外贸进出口稳中提质" in text
    assert text.index("钟楼区2024年政府工作报告") < text.index("2.shtml") < text.index("3.shtml")
    assert [c["id"] for c in digest.payload()["changes"]] == [1, 2, 3, 4]


def test_a_backlog_larger_than_one_batch_is_sent_in_one_call(session_factory):
    with webhook_server() as hook:
        channels = [ChannelConfig(name="hook", type="webhook", url=hook.url)]
        ids = [i for _ in range(3) for i in add_run_with_changes(session_factory, documents=1)[1]]
        report = deliver_pending(session_factory, channels, policy=NO_WAIT, batch_limit=2)
    assert report.ok and report.sent == len(ids) == 6
    assert sorted(hook.change_ids()) == sorted(ids)


def test_events_of_a_crawl_still_running_wait_for_its_end_and_go_out_as_one_message(session_factory):
    with webhook_server() as hook:
        channels = [ChannelConfig(name="hook", type="webhook", url=hook.url)]
        run_id, first_ids = add_run_with_changes(session_factory, documents=1, outcome="running")
        assert deliver_pending(session_factory, channels, policy=NO_WAIT).messages == 0
        assert not hook.received
        with session_factory() as session, session.begin():
            run = session.get(CrawlRun, run_id)
            run.outcome = "ok"
        report = deliver_pending(session_factory, channels, policy=NO_WAIT)
        assert report.ok and report.messages == 1 and report.sent == len(first_ids)
        # A run left running by a process that died long ago no longer holds its events back.
        _old, stuck_ids = add_run_with_changes(
            session_factory,
            documents=1,
            outcome="running",
            started_at=datetime.now(UTC) - timedelta(days=1),
        )
        assert deliver_pending(session_factory, channels, policy=NO_WAIT).sent == len(stuck_ids)
    assert [sorted(body_ids) for body_ids in _bodies(hook)] == [sorted(first_ids), sorted(stuck_ids)]


def _bodies(hook) -> list[list[int]]:
    return [[c["id"] for c in body["changes"]] for body in hook.received]


def test_a_claim_running_out_hands_the_unsent_rest_back_instead_of_risking_a_double_send(
    session_factory, monkeypatch
):
    from tracker.notify import outbox

    monkeypatch.setattr(outbox, "CLAIM_LEASE", timedelta(seconds=0.6))
    with webhook_server() as hook:
        hook.delay = 0.5  # the first message uses up more than half the claim
        channels = [ChannelConfig(name="hook", type="webhook", url=hook.url)]
        first = add_run_with_changes(session_factory, documents=1)[1]
        second = add_run_with_changes(session_factory, documents=1)[1]
        report = deliver_pending(session_factory, channels, policy=NO_WAIT)
        assert report.ok and report.messages == 1 and report.sent == len(first)
        assert {status for status, _ in _statuses(session_factory).values()} == {"sent", "pending"}
        rest = deliver_pending(session_factory, channels, policy=NO_WAIT)  # due at once, not after the lease
        assert rest.messages == 1 and rest.sent == len(second)
    assert _bodies(hook) == [first, second]


def test_control_characters_from_pages_never_reach_a_terminal_or_a_feed(session_factory, capsys):
    from xml.etree import ElementTree

    from tracker.feed import feed_xml

    title = "关于\x1b[2J印发\u202e的通知\x07"
    add_run_with_changes(session_factory, channels=("console",), documents=1, title=title)
    channels = [ChannelConfig(name="console", type="console")]
    assert deliver_pending(session_factory, channels, policy=NO_WAIT).ok
    out = capsys.readouterr().out
    assert "【关于[2J印发的通知（0）】" in out
    assert not any(ch in out for ch in "\x1b\x07\u202e")
    with session_factory() as session:
        root = ElementTree.fromstring(feed_xml(session))  # lxml refuses control characters
    titles = [
        e.findtext("{http://www.w3.org/2005/Atom}title")
        for e in root.iter("{http://www.w3.org/2005/Atom}entry")
    ]
    assert titles and all("关于[2J印发的通知（0）" in t for t in titles)
