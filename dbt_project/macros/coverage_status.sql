{#-
    The status of one (government, report year): the one home of the rule. report_coverage calls it; the marts
    gate (expectations/marts_report_coverage.json) audits what any version of it must imply, without restating it.

    A report counts as published on its stated publish date, or, when the page states none, the day we first saw it
    (a day in Beijing, macros/vars.sql beijing_day); and only when that day is on or before the as-of day (a build
    as of a past day sees the past): the caller passes that day as `effective_publish_date`, null when not
    published by as-of.

      published on or before the due date                       -> on_time
      published after the due date                              -> late
      not published, as-of on or before the due date            -> not_due
      not published, past due, and the registry has no page to
        list reports from (only report URLs, or no URL at all:
        absence cannot be seen)                                 -> unknown (status_reason says which)
      not published, past due, and no successful crawl of the
        government's portal since as-of - unknown_after_days    -> unknown (nobody can tell)
      not published, past due, but a link titled as the report
        could not be fetched (a link answering only 404/410 for
        gone_after_days no longer counts), a report was held
        back by the landing gate (int_coverage__held_candidates),
        or the report seen by as-of states a later date         -> unknown (a report exists; status_reason says)
      not published, past due, and no confirmed report column
        (one that listed a report of the government, or the
        registry's list URL read as is) read since as-of -
        unknown_after_days (int_crawl__confirmed_sources)       -> unknown (column not found yet)
      not published, past due, and a list source (a list URL or
        column, not a registry report URL) failed on the latest
        run in that window that read the portal, so was not read
        after it (int_crawl__government_runs)                   -> unknown (status_reason names the page)
      not published, past due, as-of <= due date + grace days   -> overdue
      not published, as-of > due date + grace days              -> missing

    It reads the caller's columns effective_publish_date, due_date, grace_end_date, url_status, last_success_at,
    held_reason, confirmed_read_at and failed_source_reason, and the build's as-of day.
-#}
{% macro coverage_status() -%}
    case
        when effective_publish_date <= due_date then 'on_time'
        when effective_publish_date > due_date then 'late'
        when {{ as_of_date() }} <= due_date then 'not_due'
        -- registry-urls (issue 12): no page to list reports from, so a report not found is not a report absent.
        -- A home page ('home') is read for its report column: the confirmed-column rule below decides.
        -- null (a test fixture without the column) reads as a list page: the rules below decide.
        when url_status = 'report' or not {{ has_url() }} then 'unknown'
        when last_success_at is null then 'unknown'
        when held_reason is not null then 'unknown'
        -- issue 21 §2: only a confirmed report column read lately can show a year absent
        when confirmed_read_at is null then 'unknown'
        -- a list source failed on the latest run that read the portal: a year not found may be on it
        when failed_source_reason is not null then 'unknown'
        when not {{ is_due() }} then 'overdue'
        else 'missing'
    end
{%- endmacro %}

{#- The year's deadline, grace included, has passed on the as-of day: a report not out by then is late for good
    (`missing` when absence can be seen). Rates such as the share published count only these years. -#}
{% macro is_due() -%}
    ({{ as_of_date() }} > grace_end_date)
{%- endmacro %}

{#- The government has a URL to be read from: a registry URL (list page, report page or home page) or a portal
    `fzzf registry resolve` found (stg_registry__governments applies found portals). Without one nothing about its
    reports can be seen: its past-due years are `unknown` (no_url) and rates leave it out. A null url_status (a
    unit-test fixture without the column) reads as a list page, as in coverage_status. -#}
{% macro has_url() -%}
    (url_status is distinct from 'none')
{%- endmacro %}
