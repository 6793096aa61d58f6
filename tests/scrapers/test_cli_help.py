"""``fzzf --help`` and every subcommand's help: each argument says what it is for, in plain text (a terminal shows
backticks and ``**`` as they are), and the installed console script prints it."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from scrapers.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
# Markdown and reST a terminal would print raw; a %-placeholder argparse left unexpanded (or a doubled %%).
MARKUP = re.compile(r"`|\*\*|__|\[[^\]]*\]\(|%\(|%%|<br>|&[a-z]+;")


def parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ("fzzf",)):
    """Every parser of the command line, with the words that reach it (``fzzf registry resolve``)."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, (*path, name))


def test_every_argument_of_every_command_has_a_help_text_without_markup():
    undocumented, marked = [], []
    for path, parser in parsers(build_parser()):
        texts = [parser.description or "", parser.epilog or ""]
        for action in parser._actions:
            if action.help == argparse.SUPPRESS:
                continue
            name = "/".join(action.option_strings) or action.dest
            if not action.help:
                undocumented.append(f"{' '.join(path)} {name}")
            texts.append(action.help or "")
            if isinstance(action, argparse._SubParsersAction):
                texts += [choice.help or "" for choice in action._choices_actions]
        texts.append(parser.format_help())  # what argparse makes of them (%(default)s expanded, or not)
        marked += [f"{' '.join(path)}: {m.group(0)!r} in {text!r}" for text in texts for m in MARKUP.finditer(text)]
    assert not undocumented, "arguments without help:\n" + "\n".join(undocumented)
    assert not marked, "markup in help texts:\n" + "\n".join(marked)


def test_subcommands_without_help_are_caught():
    """The walk above sees arguments of nested subcommands (``registry resolve``), so it can fail."""
    parser = argparse.ArgumentParser(prog="x")
    sub = parser.add_subparsers().add_parser("a").add_subparsers().add_parser("b")
    sub.add_argument("--bare")
    seen = {" ".join(path): p for path, p in parsers(parser)}
    assert "fzzf a b" in seen and any(a.dest == "bare" and not a.help for a in seen["fzzf a b"]._actions)


def test_fzzf_help_prints_plain_text_for_each_command():
    fzzf = Path(sys.executable).with_name("fzzf")
    for words in ([], ["crawl"], ["registry", "resolve"], ["alert"]):
        proc = subprocess.run([str(fzzf), *words, "--help"], capture_output=True, text=True, timeout=60, cwd=REPO)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("usage: fzzf") and not MARKUP.search(proc.stdout), proc.stdout
