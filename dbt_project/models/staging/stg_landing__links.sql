{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='landing_file',
        post_hook="{{ delete_vanished_landing_files('links') }}",
    )
}}
-- Every landed link decision, loaded once per landing file (macros/landing_incremental.sql); quarantine is applied
-- by int_links__page_events.
-- depends_on: {{ source('landing', 'links') }}
with

source as (
    select * from {{ landing_rows('links') }}
),

renamed as (
    select
        -- ids
        -- links rows have no id of their own: the landing gate quarantines them under this one
        sha256(concat_ws('|', run_id, government_id, list_url, url)) as record_id,
        run_id as run_id,
        government_id as government_id,
        -- strings
        list_url as list_url,
        url as url,
        title as title,
        decision as decision,
        reason as reason,
        landing_file as landing_file,
        -- numbers
        report_year as report_year,
        http_status as http_status,
        landing_file_size as landing_file_size,
        -- timestamps
        seen_at as seen_at,
        landing_file_modified_at as landing_file_modified_at
    from source
)

select * from renamed
