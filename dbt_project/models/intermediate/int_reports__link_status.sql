-- Is each report page still online? The crawler lands a `links` row with decision `gone` when a page it knew
-- disappeared; a later sighting (decision report/known, or a new fetch) brings it back.
with

links as (
    select * from {{ ref('stg_landing__links') }}
),

reports as (
    select * from {{ ref('stg_landing__reports') }}
),

link_events as (
    select
        government_id as government_id,
        url as url,
        max(seen_at) filter (where decision = 'gone') as last_gone_at,
        max(seen_at) filter (where decision in ('report', 'known')) as last_listed_at
    from links
    group by government_id, url
),

fetches as (
    select
        government_id as government_id,
        url as url,
        max(fetched_at) as last_fetched_at
    from reports
    group by government_id, url
),

final as (
    select
        fetches.government_id as government_id,
        fetches.url as url,
        link_events.last_gone_at as last_gone_at,
        greatest(fetches.last_fetched_at, link_events.last_listed_at) as last_seen_at,
        (
            link_events.last_gone_at is null
            or link_events.last_gone_at < greatest(fetches.last_fetched_at, link_events.last_listed_at)
        ) as is_online
    from fetches
    left join link_events
        on fetches.government_id = link_events.government_id
        and fetches.url = link_events.url
)

select * from final
