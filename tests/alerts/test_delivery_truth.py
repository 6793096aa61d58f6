"""Issue 20 items 9-10 and issue 24 items 6-7: a refusal is not a delivery, a digest goes in parts that fit, only
what was named counts as told, page text carries no markup into a channel, and a channel URL's secret is written
nowhere. Every message goes over real HTTP to a receiver on 127.0.0.1 that answers like the bot it stands in for."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

from scrapers.alerts.missing import send_missing_alerts

from .conftest import publish_warehouse
from .receiver import DINGTALK, WECOM, Receiver

AS_OF = dt.date(2027, 6, 1)
WECOM_URL = "wecombot://fzzf0test0key"
DINGTALK_URL = "dingtalk://fzzf0test0token"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("FZZF_ALERT_URLS", raising=False)
    return tmp_path / "data"


@pytest.fixture
def wecom(monkeypatch):
    with Receiver(bot=WECOM) as r:
        monkeypatch.setenv("FZZF_WECOM_API", r.endpoint)
        yield r


@pytest.fixture
def dingtalk(monkeypatch):
    with Receiver(bot=DINGTALK) as r:
        monkeypatch.setenv("FZZF_DINGTALK_API", r.endpoint)
        yield r


def governments(n: int, year: int = 2026, reason: str = "no link for this year on 3 list pages"):
    """n missing rows in one province (ids g0000...), with a long Chinese reason line each, like real ones."""
    missing = [
        (f"g{i:04d}", f"某某县人民政府{i}", "某省", "county", year, dt.date(year + 1, 4, 1), 61) for i in range(n)
    ]
    coverage = [(r[0], r[4], "missing") for r in missing]
    reasons = [(r[0], r[4], f"{reason}（栏目：法治政府建设年度报告）") for r in missing]
    return missing, coverage, reasons


def state(data_dir):
    return json.loads((data_dir / "alerts" / "state.json").read_text(encoding="utf-8"))


def sent_keys(data_dir):
    return {k for k, v in state(data_dir)["missing"].items() if v.get("sent_to")}


def test_a_wecom_refusal_is_not_a_delivery_and_the_digest_goes_again(data_dir, wecom, monkeypatch):
    """20.9: HTTP 200 with errcode 60020 (the bot's IP allow-list) was recorded as delivered, and never re-sent."""
    monkeypatch.setenv("FZZF_ALERT_URLS", WECOM_URL)
    publish_warehouse(data_dir, *governments(2))
    wecom.keyword = "法治政府建设年度报告 (not in any message)"  # the bot refuses every message, as for a blocked IP

    refused = send_missing_alerts(data_dir, AS_OF)

    assert len(wecom.refused) == 1 and wecom.posts == []
    assert not refused.delivered and "errcode 60020" in refused.describe()
    assert not (data_dir / "alerts" / "state.json").exists()

    wecom.keyword = None
    again = send_missing_alerts(data_dir, AS_OF)
    assert again.delivered and len(wecom.posts) == 1 and wecom.posts[0]["json"]["msgtype"] == "text"
    assert "g0000" in wecom.messages()[0] and "g0001" in wecom.messages()[0]
    assert sent_keys(data_dir) == {"g0000|2026", "g0001|2026"}


def test_a_dingtalk_keyword_refusal_is_not_a_delivery(data_dir, dingtalk, monkeypatch):
    """20.9: DingTalk's keyword security answers errcode 310000 with HTTP 200."""
    monkeypatch.setenv("FZZF_ALERT_URLS", DINGTALK_URL)
    publish_warehouse(data_dir, *governments(1))
    dingtalk.keyword = "告警"  # the group's bot wants this word; the digest has none

    outcome = send_missing_alerts(data_dir, AS_OF)

    assert not outcome.delivered and "errcode 310000" in outcome.describe()
    assert len(dingtalk.refused) == 1 and not (data_dir / "alerts" / "state.json").exists()
    assert dingtalk.query(dingtalk.refused[0])["access_token"] == ["fzzf0test0token"]


def test_a_signed_dingtalk_bot_gets_a_valid_signature_and_a_wrong_secret_is_a_refusal(data_dir, dingtalk, monkeypatch):
    """20.9: DingTalk's 加签 (``dingtalk://SECRET@TOKEN``): a bad signature is errcode 310000 under HTTP 200."""
    publish_warehouse(data_dir, *governments(1))
    dingtalk.secret = "SEC0good0secret"
    monkeypatch.setenv("FZZF_ALERT_URLS", "dingtalk://SEC0wrong0secret@fzzf0test0token")
    wrong = send_missing_alerts(data_dir, AS_OF)
    assert not wrong.delivered and "errcode 310000" in wrong.describe() and not dingtalk.posts

    monkeypatch.setenv("FZZF_ALERT_URLS", "dingtalk://SEC0good0secret@fzzf0test0token")
    assert send_missing_alerts(data_dir, AS_OF).delivered and len(dingtalk.posts) == 1


def test_a_long_digest_is_split_to_the_wecom_limit_and_every_part_arrives_whole(data_dir, wecom, monkeypatch):
    """20.9: a digest over 2,048 bytes went as one message and the bot refused or cut it; now parts that fit."""
    monkeypatch.setenv("FZZF_ALERT_URLS", WECOM_URL)
    publish_warehouse(data_dir, *governments(40))

    outcome = send_missing_alerts(data_dir, AS_OF)

    assert outcome.delivered and wecom.refused == []
    assert len(wecom.posts) > 1
    for post in wecom.posts:
        assert len(post["json"]["text"]["content"].encode("utf-8")) <= 2048
    text = "\n".join(wecom.messages())
    for i in range(40):  # every line in exactly one part, none cut
        assert text.count(f"[g{i:04d}] 2026年度: due 2027-04-01, 61 days overdue; no link") == 1
    assert f"(1/{len(wecom.posts)})" in wecom.messages()[0]
    assert len(sent_keys(data_dir)) == 40


def test_a_rate_limited_part_keeps_its_lines_for_the_next_run(data_dir, dingtalk, monkeypatch):
    """20.9 + 20.10: DingTalk takes 20 messages a minute. Parts it refused must not be recorded as told."""
    monkeypatch.setenv("FZZF_ALERT_URLS", DINGTALK_URL)
    publish_warehouse(data_dir, *governments(300))
    dingtalk.rate = 1  # the bot takes one message, then answers errcode 130101

    first = send_missing_alerts(data_dir, AS_OF)

    assert len(dingtalk.posts) == 1 and len(dingtalk.refused) == 1
    assert "errcode 130101" in first.describe() and first.undelivered > 0
    told = sent_keys(data_dir)
    named = {line.split("[")[1].split("]")[0] + "|2026" for line in dingtalk.messages()[0].splitlines() if "[g" in line}
    assert told == named and 0 < len(told) < 300

    dingtalk.rate = None
    send_missing_alerts(data_dir, AS_OF)
    assert len(sent_keys(data_dir)) == 300
    later = "\n".join(dingtalk.messages()[1:])
    assert all(f"[{k.split('|')[0]}]" not in later for k in told)  # nobody is told twice
    for post in dingtalk.posts:
        assert len(post["raw"]) <= 20_000


def test_only_the_rows_a_digest_named_are_recorded_the_rest_go_next_time(data_dir, receiver, monkeypatch):
    """20.10: the digest names at most 300 gaps; the other 150 were recorded as sent and never named anywhere."""
    monkeypatch.setenv("FZZF_ALERT_URLS", receiver.url)
    publish_warehouse(data_dir, *governments(450))

    first = send_missing_alerts(data_dir, AS_OF)
    assert len(sent_keys(data_dir)) == 300 and first.undelivered == 150
    assert "... and 150 more: they follow in the next message" in "\n".join(receiver.messages())

    second = send_missing_alerts(data_dir, AS_OF)
    assert len(sent_keys(data_dir)) == 450 and second.undelivered == 0
    named = "\n".join(receiver.messages())
    assert all(named.count(f"[g{i:04d}]") == 1 for i in range(450))

    assert send_missing_alerts(data_dir, AS_OF).delivery is None


SECRET_PATH, SECRET_QUERY = "hook-5ecret-path-1234", "5ecret-query-5678"


def test_a_secret_in_a_json_url_path_or_query_is_written_nowhere(data_dir, receiver, monkeypatch, caplog, capsys):
    """24.7: apprise masks passwords, not a webhook's path or query: both went to the outbox, the log and the
    pipeline-failure alert (which every channel gets); apprise and urllib3 wrote them to the debug log."""
    from scrapers import cli
    from scrapers.alerts.failures import notify_failure
    from scrapers.orchestration.tasks import AlertsNotDelivered, alert_missing

    secret_url = f"json://127.0.0.1:{receiver.port}/{SECRET_PATH}?token={SECRET_QUERY}"
    with Receiver() as other:
        monkeypatch.setenv("FZZF_ALERT_URLS", f"{secret_url}, {other.url}")
        monkeypatch.setenv("FZZF_DATA_DIR", str(data_dir))
        monkeypatch.setenv("FZZF_TODAY", AS_OF.isoformat())
        publish_warehouse(data_dir, *governments(1))
        receiver.status = 500  # the secret channel refuses: its URL goes into every failure report
        other.status = 500
        caplog.set_level(logging.DEBUG)
        # -v: apprise and urllib3 log the URL they post to at DEBUG
        assert cli.main(["-v", "alert", "--data-dir", str(data_dir)]) == 1
        with pytest.raises(AlertsNotDelivered) as failed:
            alert_missing(AS_OF)
        other.status = 200
        notify_failure({"exception": failed.value})  # the pipeline-failure alert, to every channel
        assert other.posts and "json://127.0.0.1" in other.messages()[0]  # it names the channel, masked

    written = [capsys.readouterr().out, caplog.text, str(failed.value), *other.messages()]
    written += [p.read_text("utf-8") for p in (data_dir / "alerts").iterdir() if p.is_file()]
    for text in written:
        assert SECRET_PATH not in text and SECRET_QUERY not in text


PAGE_TEXT = "见 <!here> <@U024BE7LH> <http://phish.example/login|登录整改系统> [登录](http://phish.example) *紧急*"


def test_page_text_reaches_slack_as_text_not_mentions_or_links(data_dir, receiver, monkeypatch):
    """24.6: apprise hands Slack a passthrough body as mrkdwn and turns ``<!here>``, ``<@U…>`` and ``<url|text>``
    back into live mentions and links. Slack's own endpoint is pointed at the receiver; the rest is real."""
    from apprise.plugins.slack import NotifySlack

    monkeypatch.setattr(NotifySlack, "webhook_url", f"http://127.0.0.1:{receiver.port}/services")
    receiver.reply = b"ok"
    monkeypatch.setenv("FZZF_ALERT_URLS", "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7")
    missing, coverage, _ = governments(1)
    publish_warehouse(data_dir, missing, coverage, [("g0000", 2026, f"only a look-alike: {PAGE_TEXT}")])

    assert send_missing_alerts(data_dir, AS_OF).delivered
    (post,) = receiver.posts
    text = json.dumps(post["json"], ensure_ascii=False)
    assert "look-alike" in text
    for live in ("<!here>", "<@U024BE7LH>", "<http://phish.example/login|"):
        assert live not in text
    assert "&lt;!here&gt;" in text  # shown as the characters the page had


def test_page_text_reaches_the_bots_as_plain_text(data_dir, wecom, dingtalk, monkeypatch):
    """24.6: DingTalk and WeCom get ``msgtype: text``, which neither renders as markup, with no @ of anyone."""
    monkeypatch.setenv("FZZF_ALERT_URLS", f"{WECOM_URL} {DINGTALK_URL}")
    missing, coverage, _ = governments(1)
    publish_warehouse(data_dir, missing, coverage, [("g0000", 2026, f"only a look-alike: {PAGE_TEXT}")])

    assert send_missing_alerts(data_dir, AS_OF).delivered
    for bot in (wecom, dingtalk):
        (post,) = bot.posts
        assert post["json"]["msgtype"] == "text" and "markdown" not in post["json"]
        assert PAGE_TEXT in post["json"]["text"]["content"]
    assert dingtalk.posts[0]["json"]["at"] == {"atMobiles": []}


def test_page_text_reaches_e_mail_escaped_in_its_html_part(data_dir, monkeypatch):
    """24.6: an HTML e-mail got the body as it was: a page's ``<a href=…>`` or ``<img>`` became live markup. A real
    SMTP server on 127.0.0.1 (the standard library's, Python 3.11) receives the message."""
    import asyncore
    import email
    import smtpd
    import threading

    received: list[bytes] = []

    class Server(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            received.append(data)

    server = Server(("127.0.0.1", 0), None, decode_data=False)
    loop = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05}, daemon=True)
    loop.start()
    try:
        port = server.socket.getsockname()[1]
        monkeypatch.setenv(
            "FZZF_ALERT_URLS",
            f"mailto://127.0.0.1:{port}?from=fzzf@example.org&to=de@example.org&secure=no&format=html",
        )
        missing, coverage, _ = governments(1)
        page = '<a href="http://phish.example/login">登录整改系统</a><img src="http://track.example/p.gif">'
        publish_warehouse(data_dir, missing, coverage, [("g0000", 2026, f"only a look-alike: {page}")])
        assert send_missing_alerts(data_dir, AS_OF).delivered
    finally:
        server.close()
    (raw,) = received
    message = email.message_from_bytes(raw)
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in message.walk() if not p.is_multipart()}
    html = parts["text/html"]
    assert "look-alike" in html and "<a href" not in html and "<img" not in html
    assert "&lt;a&nbsp;href=" in html or "&lt;a href=" in html
