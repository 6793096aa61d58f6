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

{#- A file under the data directory, as a SQL string literal (quotes doubled: a data directory may be
    /home/o'brien/data). -#}
{% macro data_path(relative) -%}
    '{{ ((var('data_dir') | string).rstrip('/') ~ '/' ~ relative) | replace("'", "''") }}'
{%- endmacro %}
