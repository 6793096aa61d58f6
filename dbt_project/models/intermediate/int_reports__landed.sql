{{ config(materialized='view') }}
-- The reports stream minus what the landing gate quarantined this build. A view over the incremental staging table
-- (which parses each landing file once, ever): the quarantine can change from one build to the next, so it is
-- applied here, at read time, and a row the gate holds back later drops out of every model built on this one.
with

landed as (
    select * exclude (landing_file, landing_file_size, landing_file_modified_at)
    from {{ ref('stg_landing__reports') }}
),

{{ drop_quarantined('landed', 'reports') }},

final as (
    select * from kept
)

select * from final
