{#- The build's as-of day as a DuckDB date literal: var('as_of') (fzzf always passes it, from scrapers.clock),
    or the day the run started in Beijing, the calendar the due dates are in. -#}
{% macro as_of_date() -%}
    {%- set value = var('as_of', '') -%}
    {%- if value is none or (value | string | trim) == '' -%}
        date '{{ run_started_at.astimezone(modules.pytz.timezone("Asia/Shanghai")).strftime("%Y-%m-%d") }}'
    {%- else -%}
        date '{{ value | string | trim }}'
    {%- endif -%}
{%- endmacro %}

{#- Days without a successful crawl after which a government's status is `unknown`. -#}
{% macro unknown_after_days() -%}
    {{ var('unknown_after_days', 30) | int }}
{%- endmacro %}

{#- Days over which a report link must answer only 404/410 before it counts as gone (issue 20.12): a portal
    mid-move answers 404 for a day; a page gone for good keeps answering it. fzzf passes FZZF_GONE_AFTER_DAYS. -#}
{% macro gone_after_days() -%}
    {{ var('gone_after_days', 14) | int }}
{%- endmacro %}

{#- A file under the data directory, as a SQL string literal (quotes doubled: a data directory may be
    /home/o'brien/data). -#}
{% macro data_path(relative) -%}
    '{{ ((var('data_dir') | string).rstrip('/') ~ '/' ~ relative) | replace("'", "''") }}'
{%- endmacro %}

{#- The calendar day in Beijing of a landing timestamp (naive UTC, scrapers.landing.iso): the day an instant counts
    for in coverage (first seen, last read, since when), in the calendar of the due dates and the as-of day
    (scrapers/clock.py's REPORT_TZ). China keeps UTC+8 all year (no daylight saving since 1991): the offset is exact. -#}
{% macro beijing_day(timestamp_sql) -%}
    (({{ timestamp_sql }}) + interval 8 hour)::date
{%- endmacro %}

{#- True when a landing timestamp (naive UTC) is evidence the build may see. A what-if build for a day before today
    (fzzf passes var('as_of_is_past'): scrapers.warehouse.build, today from scrapers.clock) sees only what had
    landed by the end of that Beijing day: what that day's build would have said, never evidence found later.
    Any other build sees every landed row (a build as of today, or as of the day FZZF_TODAY pins while the crawl
    lands real times: the demo's and the tests' "today"; dbt run by hand). -#}
{% macro landed_by_as_of(timestamp_sql) -%}
    {%- if var('as_of_is_past', false) in (true, 'true', 'True') -%}
        ({{ beijing_day(timestamp_sql) }} <= {{ as_of_date() }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
