{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='landing_file',
        post_hook="{{ delete_vanished_landing_files('crawl_log') }}",
    )
}}
-- Every landed crawl-log row, loaded once per landing file (macros/landing_incremental.sql); quarantine is applied
-- by int_crawl__government_runs.
-- depends_on: {{ source('landing', 'crawl_log') }}
with

source as (
    select * from {{ landing_rows('crawl_log') }}
),

renamed as (
    select
        -- ids
        -- crawl_log rows have no id of their own: the landing gate quarantines them under this one
        sha256(concat_ws('|', run_id, government_id, list_url)) as record_id,
        run_id as run_id,
        government_id as government_id,
        -- strings
        list_url as list_url,
        status as status,
        error as error,
        -- null: the registry's list URL crawled as is (and every row landed before the field existed)
        discovery as discovery,
        landing_file as landing_file,
        -- numbers
        pages_fetched as pages_fetched,
        requests as requests,
        links_seen as links_seen,
        reports_found as reports_found,
        reports_new as reports_new,
        links_skipped as links_skipped,
        errors as errors,
        -- null in every row landed before the field existed
        list_pages_lost as list_pages_lost,
        landing_file_size as landing_file_size,
        -- timestamps
        started_at as started_at,
        finished_at as finished_at,
        landing_file_modified_at as landing_file_modified_at
    from source
)

select * from renamed
