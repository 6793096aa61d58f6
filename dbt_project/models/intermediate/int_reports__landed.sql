-- The reports stream parsed once and stored: every model that needs report text, sections or metrics reads this
-- table, not the landing files (parsing ~1 GB of JSON Lines costs far more than reading a column back).
with

reports as (
    select * from {{ ref('stg_landing__reports') }}
),

final as (
    select * from reports
)

select * from final
