"""DingTalk and WeCom group bots, sent by fzzf itself so that their answer is read.

Both bots answer a refused message with HTTP 200 and a JSON ``errcode`` (keyword or IP security, a bad signature,
the rate limit of 20 messages a minute, a message too long). apprise only looks at the HTTP status, so it counted
those refusals as delivered and the digest was never sent again. Here a message is taken only when the answer is
``{"errcode": 0, ...}``; anything else is a refusal with the bot's own reason.

The channel URLs stay apprise's (``dingtalk://[secret@]token[/phone...]``, ``wecombot://key``); apprise parses them.
Messages go out as ``msgtype: text``, which neither bot renders as markup, so page text in a digest line cannot
become a link or a mention. ``FZZF_DINGTALK_API`` / ``FZZF_WECOM_API`` point the sender at another endpoint (a
proxy, or the local receiver of the tests).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass

import requests

TIMEOUT = 20  # seconds per message, as apprise's default
HEADERS = {"Content-Type": "application/json; charset=utf-8"}


@dataclass(frozen=True)
class Bot:
    scheme: str
    endpoint_env: str
    endpoint: str
    limit: int  # bytes of UTF-8 text the bot takes in one message (title line and body)


BOTS = {
    # DingTalk refuses a request over 20,000 bytes: the JSON around the text needs some of them.
    "dingtalk": Bot("dingtalk", "FZZF_DINGTALK_API", "https://oapi.dingtalk.com/robot/send", 19_500),
    # WeCom text messages: 2,048 bytes of content (4,096 is markdown's, which fzzf does not send).
    "wecombot": Bot("wecombot", "FZZF_WECOM_API", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", 2_048),
}


def bot_for(url: str) -> Bot | None:
    """The bot a channel URL names, or None for a channel apprise sends."""
    return BOTS.get(url.split("://", 1)[0].lower()) if "://" in url else None


def send(bot: Bot, plugin, title: str, body: str) -> str | None:
    """Send one text message (``plugin``: apprise's parsed channel); None when the bot took it, else the reason."""
    content = f"{title}\n{body}" if title else body
    endpoint = os.environ.get(bot.endpoint_env) or bot.endpoint
    if bot.scheme == "dingtalk":
        params = {"access_token": plugin.token}
        if plugin.secret:
            params.update(_dingtalk_signature(plugin.secret))
        payload = {"msgtype": "text", "text": {"content": content}, "at": {"atMobiles": list(plugin.targets)}}
    else:
        params = {"key": plugin.key}
        payload = {"msgtype": "text", "text": {"content": content}}
    try:
        # UTF-8, not requests' json= (\\uXXXX doubles the size of Chinese text against the bot's byte limit)
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        answer = requests.post(endpoint, params=params, data=data, headers=HEADERS, timeout=TIMEOUT)
    except requests.RequestException as exc:
        return f"not reached: {type(exc).__name__}"  # the exception text carries the URL, and with it the key
    if answer.status_code != 200:
        return f"HTTP {answer.status_code}"
    try:
        reply = answer.json()
        code = reply.get("errcode")
    except (ValueError, AttributeError):
        return "the answer is not the bot's JSON"
    if code == 0:
        return None
    return f"refused: errcode {code}: {str(reply.get('errmsg', ''))[:200]}"


def _dingtalk_signature(secret: str) -> dict[str, str]:
    """DingTalk's 加签: HMAC-SHA256 over "timestamp\\nsecret", base64; requests URL-encodes it."""
    timestamp = str(round(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return {"timestamp": timestamp, "sign": base64.b64encode(digest).decode()}
