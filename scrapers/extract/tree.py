"""The one way HTML becomes a tree (report pages, list pages, discovery pages), and what the parser cut.

libxml2 stops descending at 256 nested elements unless told otherwise (``huge_tree``, XML_PARSE_HUGE), and then
drops everything deeper without raising: a report with an unclosed ``<font>`` per paragraph kept 252 of 400
paragraphs, a list under 260 unclosed ``<div>``s gave no link at all. With ``huge_tree`` the limit is 2,048 levels;
a page deeper than that is still cut, so ``parse`` says so and the caller treats the page as a failed read
(never as a page without the report or without links). Measured (lxml 6.1, libxml2 2.14): a 100,000-level page
parses in 0.01-0.02 s with ``huge_tree``; the fetch size cap (``FZZF_MAX_BYTES``) bounds the rest.
"""

from __future__ import annotations

import threading

import lxml.etree
import lxml.html

__all__ = ["parse"]

# Parsers keep the error log of their last run, so each thread has its own (the crawl parses on many threads).
_local = threading.local()


def _parser(html_elements: bool):
    parsers = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {
            # lxml.html's element classes (text_content, iterlinks) for list and discovery pages
            True: lxml.html.HTMLParser(recover=True, no_network=True, huge_tree=True),
            # plain elements, no comments: markedly faster, for the report extractor
            False: lxml.etree.HTMLParser(
                remove_comments=True, remove_pis=True, recover=True, no_network=True, huge_tree=True
            ),
        }
    return parsers[html_elements]


def parse(text: str, *, html_elements: bool = False):
    """``(root, cut)``: the page's tree, and why the parser left part of it out (None when it read it all).

    Raises what lxml raises on text it can build no tree from (``ParserError``, ``XMLSyntaxError``, ``ValueError``);
    ``root`` may be None for such text too."""
    parser = _parser(html_elements)
    root = lxml.html.document_fromstring(text, parser=parser) if html_elements else lxml.etree.fromstring(text, parser)
    return root, cut_by_parser(parser)


def parse_fragment(text: str):
    """``(div, cut)``: an HTML fragment inside a new ``<div>`` (Hanweb's CDATA records), as ``parse``."""
    parser = _parser(True)
    return lxml.html.fragment_fromstring(text, create_parent="div", parser=parser), cut_by_parser(parser)


def cut_by_parser(parser) -> str | None:
    for entry in parser.error_log:
        if entry.type_name == "ERR_RESOURCE_LIMIT" or "Excessive depth" in entry.message:
            return f"the parser cut the page: {entry.message.strip()}"
    return None
