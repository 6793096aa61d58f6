{#-
    Incremental marts over the canonical reports: annual_reports, report_sections and report_metrics.

    Each holds rows per canonical report (one, or one per section or figure), and those rows depend only on the
    columns of int_reports__ranked the mart lists as `built_from`: which version is canonical (record_id, run_id,
    fetched_at: the landed row its text, sections and figures come from), what that row was made of (raw_sha256,
    extractor_version) and the ranked facts the mart shows (version_count, is_online, ...). A daily build changes
    few of them, so the mart re-derives only those reports:

      1. pre_hook  forget_changed_reports: delete the rows of every report whose built_from values changed or
                   that is no longer canonical (quarantined, page replaced, government gone);
      2. the model reads `to_build` (canonical_to_build): on an incremental run only the reports whose built_from
                   values are new or changed, else all of them;
      3. post_hook remember_built_from: keep this build's built_from values in intermediate.<mart>__built_from.

    All three run in the model's transaction, so a failed build leaves mart and memory as they were. The memory is
    per mart, not per build: a build that selects only some models still compares each mart with what *it* was
    built from. A report whose rows are built from nothing (a report without sections) is still remembered, so a
    later version with sections is seen. tests/dbt/test_incremental.py compares every table, these included, with a
    full refresh after new reports, new versions, re-checks, vanished pages and late quarantines.
-#}

{#- The config of each of the three marts; `columns` is its built_from list. -#}
{% macro canonical_incremental_config(columns) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ forget_changed_reports(" ~ columns ~ ") }}",
        post_hook="{{ remember_built_from(" ~ columns ~ ") }}",
    ) }}
{%- endmacro %}

{% macro built_from_relation() -%}
    {{ return(api.Relation.create(database=this.database, schema='intermediate', identifier=this.identifier ~ '__built_from')) }}
{%- endmacro %}

{#- True when this run can compare with a memory: an incremental run of a mart that has one. -#}
{% macro _has_built_from() -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set memory = built_from_relation() -%}
    {{ return(adapter.get_relation(memory.database, memory.schema, memory.identifier) is not none) }}
{%- endmacro %}

{% macro _built_from_select(columns) -%}
    select report_id, {{ columns | join(', ') }}
    from {{ ref('int_reports__ranked') }}
    where is_canonical
{%- endmacro %}

{#- CTE `to_build`: the canonical rows of int_reports__ranked whose mart rows this run (re)derives. -#}
{% macro canonical_to_build(columns) %}
to_build as (
    select *
    from {{ ref('int_reports__ranked') }}
    where is_canonical
    {%- if _has_built_from() %}
        and report_id in (
            select report_id from (
                {{ _built_from_select(columns) }}
                except
                select report_id, {{ columns | join(', ') }} from {{ built_from_relation() }}
            )
        )
    {%- endif %}
)
{% endmacro %}

{% macro forget_changed_reports(columns) -%}
    {%- if _has_built_from() %}
    delete from {{ this }}
    where report_id not in (
        select report_id from (
            {{ _built_from_select(columns) }}
            intersect
            select report_id, {{ columns | join(', ') }} from {{ built_from_relation() }}
        )
    )
    {%- elif is_incremental() %}
    delete from {{ this }}  -- no memory to compare with: every row goes, and to_build holds every report
    {%- endif %}
{%- endmacro %}

{% macro remember_built_from(columns) -%}
    create or replace table {{ built_from_relation() }} as
    {{ _built_from_select(columns) }}
{%- endmacro %}
