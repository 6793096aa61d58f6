"""``python -m scrapers.registry.generate [--out P] [--check]``: write the default registry, or check it is current."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapers.registry.generate import DEFAULT_OUT, _fmt, build, render
from scrapers.registry.governments import RegistryError, load_registry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scrapers.registry.generate", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"registry to write (default {DEFAULT_OUT})")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when --out is not up to date")
    args = parser.parse_args(argv)
    outcome = build()
    text = render(outcome)
    for line in outcome.unplaced:
        print(f"not placed: {line}", file=sys.stderr)
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: run python -m scrapers.registry.generate", file=sys.stderr)
            return 1
        return 0
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        registry = load_registry(tmp)  # never write a registry the crawler would refuse
    except RegistryError as exc:
        tmp.unlink()
        print(f"generated registry is invalid: {exc}", file=sys.stderr)
        return 2
    tmp.replace(args.out)
    counts = outcome.counts()
    print(f"{args.out}: {len(registry)} entries ({_fmt(counts['level'])}); URLs: {_fmt(counts['urls'])}; "
          f"{counts['home'][True]} with a home page; {len(outcome.unplaced)} source rows not placed")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
