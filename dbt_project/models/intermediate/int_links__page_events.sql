-- Per (government, URL): when the crawler last saw the page disappear (decision `gone`) and last listed it
-- (decision `report` or `known`). int_reports__versions turns this into is_online.
with

landed as (
    select * from {{ ref('stg_landing__links') }}
    -- a build for a past day: the page events seen by then (macros/vars.sql landed_by_as_of)
    where {{ landed_by_as_of('seen_at') }}
),

{{ drop_quarantined('landed', 'links') }},

links as (
    select * from kept
),

final as (
    select
        government_id as government_id,
        url as url,
        max(seen_at) filter (where decision = 'gone') as last_gone_at,
        max(seen_at) filter (where decision in ('report', 'known')) as last_listed_at
    from links
    where url is not null
    group by government_id, url
)

select * from final
