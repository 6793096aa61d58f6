"""A small reader of JavaScript literals in page scripts (objects, arrays, strings, numbers, ``var`` names and
``JSON.stringify``), enough to take a list's data and a request's parameters from a page without running it.
A value computed at run time (a function call, an expression) reads as None: never guessed."""

from __future__ import annotations

import json
import re

__all__ = ["Json", "Names", "call_args", "json_value", "variables"]


class Json:
    """``JSON.stringify(x)``: a body sent as JSON."""

    def __init__(self, value):
        self.value = value


# Bounds that keep a hostile or huge page linear: literals longer than these are not list data or request parameters.
MAX_LITERAL = 100_000
MAX_VARIABLE = 5_000  # a request's parameters are short; a long variable (a data blob) is not one of them
MAX_CALL = 20_000  # a pager's or a request's arguments: a configuration, not data


def variables(text: str) -> Names:
    """The page's ``var``/``let``/``const`` values, each read when a literal first names it."""
    return Names(text)


class Names:
    """Variables read on demand: only the few a request or pager names cost any work, however many a page has."""

    def __init__(self, text: str):
        self.text, self.values = text, {}

    def get(self, name: str, default=None):
        if name not in self.values:
            self.values[name] = None  # a variable defined by itself reads as unknown, not as a loop
            m = re.search(r"\b(?:var|let|const)\s+" + re.escape(name) + r"\s*=\s*", self.text)
            if m is not None:
                value = _Lit(self.text, m.end(), self, MAX_VARIABLE).read()
                self.values[name] = None if value is _UNREAD else value
        value = self.values[name]
        return default if value is None else value


def call_args(text: str, paren: int, variables: dict | Names | None = None):
    """The arguments of the call whose ``(`` is at ``paren``, as Python values (unread parts are None)."""
    lit = _Lit(text, paren + 1, variables or {}, MAX_CALL)
    args = []
    while True:
        lit.skip()
        if lit.at(")") or lit.i >= len(text):
            return args
        value = lit.read()
        args.append(None if value is _UNREAD else value)
        lit.skip()
        if not lit.at(","):
            return args
        lit.i += 1


def json_value(text: str, start: int):
    """The literal at ``start``: real JSON at C speed, else read as a JavaScript literal (unquoted keys, '…')."""
    try:
        return json.JSONDecoder().raw_decode(text, start)[0]
    except ValueError:
        pass
    value = _Lit(text, start, {}).read()
    return None if value is _UNREAD else value


_UNREAD = object()
_BRACKET = re.compile(r"[()\[\]{}'\"]")
_STRING_BODY = {q: re.compile(r"(?:[^" + q + r"\\]|\\.)*", re.S) for q in "'\"`"}
_WORD = re.compile(r"[\w$.]+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


class _Lit:
    def __init__(self, text: str, i: int, variables: dict, limit: int = MAX_LITERAL):
        self.text, self.i, self.vars, self.depth = text, i, variables, 0
        self.end = min(len(text), i + limit)

    def value(self):
        v = self.read()
        return v, self.i

    def at(self, ch: str) -> bool:
        return self.text.startswith(ch, self.i)

    def skip(self) -> None:
        while self.i < self.end:
            if self.text[self.i].isspace():
                self.i += 1
            elif self.text.startswith("//", self.i):
                end = self.text.find("\n", self.i)
                self.i = self.end if end < 0 else end
            elif self.text.startswith("/*", self.i):
                end = self.text.find("*/", self.i)
                self.i = self.end if end < 0 else end + 2
            else:
                return

    def read(self):
        self.skip()
        self.depth += 1
        try:
            if self.depth > 40 or self.i >= self.end:
                return _UNREAD
            ch = self.text[self.i]
            if ch in "{[":
                return self._container(ch)
            if ch in "'\"`":
                return self._string(ch)
            m = _NUMBER.match(self.text, self.i)
            if m:
                self.i = m.end()
                return float(m.group()) if "." in m.group() else int(m.group())
            m = _WORD.match(self.text, self.i)
            if m:
                return self._word(m)
            return _UNREAD
        finally:
            self.depth -= 1

    def _word(self, m: re.Match):
        word = m.group()
        self.i = m.end()
        if word == "JSON.stringify" and self.at("("):
            args = call_args(self.text, self.i, self.vars)
            self.i = self._after_call(self.i)
            return Json(args[0]) if args else _UNREAD
        if self.at("("):
            self.i = self._after_call(self.i)
            return None  # a value computed at run time
        return {"true": True, "false": False, "null": None}.get(word, self.vars.get(word))

    def _after_call(self, paren: int) -> int:
        depth, i = 0, paren
        while i < self.end:
            m = _BRACKET.search(self.text, i, self.end)  # jump to the next bracket or quote (C speed)
            if m is None:
                return self.end
            i, ch = m.start(), m.group()
            if ch in "'\"":
                i = self._string_end(i, ch)
                continue
            depth += ch in "([{"
            depth -= ch in ")]}"
            i += 1
            if depth == 0:
                return i
        return i

    def _string_end(self, i: int, quote: str) -> int:
        m = _STRING_BODY[quote].match(self.text, i + 1, self.end)
        return min(m.end() + 1, self.end + 1)

    def _string(self, quote: str):
        end = self._string_end(self.i, quote)
        raw = self.text[self.i + 1 : end - 1]
        self.i = end
        if quote == '"':
            try:
                return json.loads(f'"{raw}"')
            except ValueError:
                return raw
        return re.sub(r"\\(.)", r"\1", raw)

    def _container(self, ch: str):
        close = "}" if ch == "{" else "]"
        self.i += 1
        out: dict | list = {} if ch == "{" else []
        while True:
            self.skip()
            if self.i >= self.end:
                return _UNREAD
            if self.at(close):
                self.i += 1
                return out
            if ch == "{":
                key = self.read() if self.text[self.i] in "'\"" else self._key()
                self.skip()
                if not isinstance(key, str) or not self.at(":"):
                    return _UNREAD
                self.i += 1
                value = self.read()
                out[key] = None if value is _UNREAD else value
            else:
                value = self.read()
                out.append(None if value is _UNREAD else value)
            self.skip()
            # an expression continues past the value ("a" + b): its value is not known statically
            while self.i < self.end and self.text[self.i] not in ",}]":
                if ch == "{" and out:
                    out[list(out)[-1]] = None
                if self.text[self.i] in "'\"":
                    self.i = self._string_end(self.i, self.text[self.i])
                elif self.text[self.i] in "([{":
                    self.i = self._after_call(self.i)
                else:
                    self.i += 1
            if self.at(","):
                self.i += 1

    def _key(self):
        m = _WORD.match(self.text, self.i)
        if not m:
            return _UNREAD
        self.i = m.end()
        return m.group()
