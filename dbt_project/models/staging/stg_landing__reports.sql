with

source as (
    select * from {{ source('landing', 'reports') }}
),

{{ flag_quarantined('source', 'reports') }},

renamed as (
    select
        -- ids
        record_id as record_id,
        run_id as run_id,
        government_id as government_id,
        content_hash as content_hash,
        raw_sha256 as raw_sha256,
        -- strings
        list_url as list_url,
        url as url,
        title as title,
        source as source_name,
        issuer as issuer,
        body as body,
        decision_reason as decision_reason,
        etag as etag,
        last_modified as last_modified,
        extractor_version as extractor_version,
        -- numbers
        report_year as report_year,
        char_count as char_count,
        http_status as http_status,
        quarantine_reason as quarantine_reason,
        -- booleans
        coalesce(is_annual_report, false) as is_annual_report,
        is_quarantined as is_quarantined,
        -- nested lists
        attachments as attachments,
        sections as sections,
        metrics as metrics,
        -- dates and timestamps
        publish_date as publish_date,
        fetched_at as fetched_at
    from flagged
)

select * from renamed
