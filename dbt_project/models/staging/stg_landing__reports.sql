{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='landing_file',
        post_hook="{{ delete_vanished_landing_files('reports') }}",
    )
}}
-- Every landed report row, loaded once per landing file (macros/landing_incremental.sql); quarantine is applied by
-- int_reports__landed, so a row the gate holds back in a later build still drops out.
-- depends_on: {{ source('landing', 'reports') }}
with

source as (
    select * from {{ landing_rows('reports') }}
),

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
        landing_file as landing_file,
        -- numbers
        report_year as report_year,
        char_count as char_count,
        http_status as http_status,
        landing_file_size as landing_file_size,
        -- booleans
        coalesce(is_annual_report, false) as is_annual_report,
        -- nested lists
        attachments as attachments,
        sections as sections,
        metrics as metrics,
        -- dates and timestamps
        publish_date as publish_date,
        fetched_at as fetched_at,
        landing_file_modified_at as landing_file_modified_at
    from source
)

select * from renamed
