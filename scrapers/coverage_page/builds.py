"""Which gate results belong to one build: ``marts.validation_runs`` is one row per suite run with no build id, so the
page cuts it into builds by the order every build runs its gates in (``scrapers.warehouse.build``: the landing
suites, then dbt, then the marts suites).
"""

from __future__ import annotations

from typing import Any

__all__ = ["group_builds"]

LANDING_PREFIX = "landing_"


def group_builds(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``runs`` (oldest first) as builds, newest first, numbered from 1 for the oldest.

    A build starts at a landing suite that follows a non-landing one (the previous build reached dbt or the marts
    gate), or at any suite the current build already ran (the previous build stopped at the landing gate), or when
    the as-of day changes (a what-if build between two daily ones). The one exception: a suite right after its own
    run that quarantined rows is the marts gate validating again what remains (``scrapers.gate.marts``), the same
    build.
    """
    builds: list[list[dict[str, Any]]] = []
    seen: set[str] = set()
    previous: dict[str, Any] | None = None
    for run in runs:
        suite = str(run["suite"])
        revalidated = previous is not None and suite == previous["suite"] and (previous.get("quarantined") or 0) > 0
        starts = not revalidated and (
            previous is None
            or suite in seen
            or (suite.startswith(LANDING_PREFIX) and not str(previous["suite"]).startswith(LANDING_PREFIX))
            or run.get("as_of") != previous.get("as_of")
        )
        if starts:
            builds.append([])
            seen = set()
        builds[-1].append(run)
        seen.add(suite)
        previous = run
    out = []
    for number, suites in enumerate(builds, start=1):
        out.append(
            {
                "build": number,
                "started_at": suites[0]["validated_at"],
                "finished_at": suites[-1]["validated_at"],
                "as_of": suites[0].get("as_of"),
                "success": all(s["success"] for s in suites),
                "suites": len({s["suite"] for s in suites}),  # a suite validated again counts once
                "failed": sum(s["failed"] or 0 for s in suites),
                "critical_failed": sum(s["critical_failed"] or 0 for s in suites),
                "warnings": sum(s["warnings"] or 0 for s in suites),
                "quarantined": sum(s["quarantined"] or 0 for s in suites),
                # the marts gate ran: dbt built the warehouse (a build stopped earlier never reached the marts)
                "reached_marts": any(str(s["suite"]).startswith("marts_") for s in suites),
                "runs": suites,
            }
        )
    return out[::-1]
