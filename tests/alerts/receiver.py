"""A real HTTP webhook receiver on 127.0.0.1 (apprise's json:// posts to it); shared by the alert, DAG and deploy tests.

It also answers like the DingTalk and WeCom group bots do (``bot``): HTTP 200 with a JSON ``errcode``, non-zero for a
refusal (keyword security, rate limit, message too long), so a test can make a bot refuse the way the real one does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# The bots' documented refusals (DingTalk 自定义机器人, WeCom 群机器人 error codes).
DINGTALK = {"path": "/robot/send", "limit": 20_000, "too_long": (460101, "message too long, exceed 20000 bytes"),
            "rate": (130101, "send too fast, exceed 20 times per minute"),
            "keyword": (310000, "description:关键词不匹配;solution:请联系群管理员查看此机器人的关键词，并在发送的信息中包含此关键词;")}  # fmt: skip
WECOM = {"path": "/cgi-bin/webhook/send", "limit": 2_048, "too_long": (40058, "content exceed max length 2048"),
         "rate": (45009, "api freq out of limit"), "keyword": (60020, "not allow to access from your ip")}  # fmt: skip


class Receiver:
    """Collects JSON POSTs; ``status`` is what it answers, so a test can make the channel fail for real.

    ``bot``: DINGTALK or WECOM makes it answer as that bot: ``{"errcode": 0}`` for a message it takes (kept in
    ``posts``), a non-zero errcode for one it refuses (kept in ``refused``): over ``bot["limit"]`` bytes (the whole
    request for DingTalk, the text content for WeCom), after ``rate`` messages taken, or, with ``keyword`` set, a
    message without it (for WeCom the IP check stands in).
    """

    def __init__(self, bot: dict | None = None) -> None:
        self.posts: list[dict] = []
        self.refused: list[dict] = []
        self.status = 200
        self.reply = b""  # what a webhook answers (Slack's says "ok")
        self.bot = bot
        self.rate: int | None = None
        self.keyword: str | None = None
        self.secret: str | None = None  # DingTalk 加签: the request must carry timestamp and sign for it
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the name http.server calls
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                post = {"path": self.path, "json": json.loads(raw.decode("utf-8")), "raw": raw}
                answer = receiver.reply
                if receiver.bot is not None and receiver.status == 200:
                    code, msg = receiver._judge(post)
                    (receiver.refused if code else receiver.posts).append(post)
                    answer = json.dumps({"errcode": code, "errmsg": msg}, ensure_ascii=False).encode("utf-8")
                elif receiver.status == 200:
                    receiver.posts.append(post)
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):  # keep pytest output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _judge(self, post: dict) -> tuple[int, str]:
        bot = self.bot
        content = post["json"]["text"]["content"]
        size = len(post["raw"]) if bot is DINGTALK else len(content.encode("utf-8"))
        if size > bot["limit"]:
            return bot["too_long"]
        if self.keyword is not None and self.keyword not in content:
            return bot["keyword"]
        if self.secret is not None and not self._signed(post):
            return 310000, "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"
        if self.rate is not None and len(self.posts) >= self.rate:
            return bot["rate"]
        return 0, "ok"

    def _signed(self, post: dict) -> bool:
        query = self.query(post)
        timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
        digest = hmac.new(self.secret.encode(), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256).digest()
        fresh = timestamp.isdigit() and abs(time.time() * 1000 - int(timestamp)) < 3_600_000  # DingTalk: 1 hour
        return fresh and sign == base64.b64encode(digest).decode()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    @property
    def endpoint(self) -> str:
        """The bot API address to put in FZZF_DINGTALK_API / FZZF_WECOM_API."""
        return f"http://127.0.0.1:{self.port}{self.bot['path']}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def messages(self, titled: str | None = None) -> list[str]:
        """Title and body of each message taken; ``titled``: only those whose title contains it."""
        if self.bot is not None:
            return [p["json"]["text"]["content"] for p in self.posts]
        return [p["json"]["title"] + "\n" + p["json"]["message"] for p in self.titled(titled)]

    def titled(self, part: str | None) -> list[dict]:
        """The posts whose title contains ``part`` (all with None): the missing digest's say "newly missing", the
        weekly digest's "cannot be verified", so a test about one is not thrown by the other."""
        return [p for p in self.posts if part is None or part in p["json"]["title"]]

    def query(self, post: dict) -> dict[str, list[str]]:
        return parse_qs(urlsplit(post["path"]).query)
