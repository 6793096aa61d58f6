-- One row per (government, report year) that has a report: the canonical version (rule in int_reports__ranked).
with

ranked as (
    select * from {{ ref('int_reports__ranked') }}
    where is_canonical
),

landed as (
    select * from {{ ref('int_reports__landed') }}
),

canonical as (
    select
        ranked.*,
        landed.raw_sha256 as raw_sha256,
        landed.source_name as source_name,
        landed.body as body,
        landed.extractor_version as extractor_version,
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
