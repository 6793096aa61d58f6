-- Every landed version of every annual report: the canonical one and the others, each with the reason it lost.
with

ranked as (
    select * from {{ ref('int_reports__ranked') }}
),

final as (
    select
        -- ids
        record_id as record_id,
        report_id as report_id,
        government_id as government_id,
        canonical_record_id as canonical_record_id,
        run_id as run_id,
        content_hash as content_hash,
        -- strings
        title as title,
        url as url,
        list_url as list_url,
        issuer as issuer,
        loss_reason as loss_reason,
        -- numbers
        report_year as report_year,
        version_rank as version_rank,
        char_count as char_count,
        -- booleans
        is_canonical as is_canonical,
        is_latest_of_page as is_latest_of_page,
        is_online as is_online,
        is_own_issuer as is_own_issuer,
        is_interpretation as is_interpretation,
        is_attachment as is_attachment,
        -- dates and timestamps
        publish_date as publish_date,
        first_seen_at as first_seen_at,
        fetched_at as fetched_at
    from ranked
)

select * from final
