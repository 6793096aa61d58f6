{%- set built_from = [
    'government_id', 'record_id', 'run_id', 'fetched_at', 'content_hash', 'raw_sha256', 'extractor_version',
    'title', 'url', 'list_url', 'issuer', 'report_year', 'char_count', 'version_count', 'is_online',
    'is_attachment', 'publish_date', 'first_seen_at', 'last_gone_at',
] -%}
{{ canonical_incremental_config(built_from) }}
-- One row per (government, report year) that has a report: the canonical version (rule in int_reports__ranked).
-- Incremental per report (macros/canonical_incremental.sql): `built_from` is every int_reports__ranked column this
-- mart shows, plus what identifies the landed row its text comes from.
with

{{ canonical_to_build(built_from) }},

ranked as (
    select * from to_build
),

landed as (
    select * from {{ ref('int_reports__landed') }}
),

canonical as (
    select
        ranked.*,
        landed.source_name as source_name,
        landed.body as body,
        landed.sections as sections,
        landed.metrics as metrics,
        landed.attachments as attachments
    from ranked
    inner join landed
        on ranked.record_id = landed.record_id
        and ranked.run_id is not distinct from landed.run_id
        and ranked.fetched_at = landed.fetched_at
),

final as (
    select
        -- ids
        report_id as report_id,
        government_id as government_id,
        record_id as record_id,
        content_hash as content_hash,
        raw_sha256 as raw_sha256,
        -- strings
        title as title,
        url as url,
        list_url as list_url,
        source_name as source_name,
        issuer as issuer,
        body as body,
        extractor_version as extractor_version,
        -- numbers
        report_year as report_year,
        char_count as char_count,
        version_count as version_count,
        len(coalesce(sections, [])) as section_count,
        len(coalesce(metrics, [])) as metric_count,
        -- booleans
        is_online as is_online,
        is_attachment as is_attachment,
        -- nested
        attachments as attachments,
        -- dates and timestamps
        publish_date as publish_date,
        first_seen_at as first_seen_at,
        fetched_at as fetched_at,
        last_gone_at as last_gone_at
    from canonical
)

select * from final
