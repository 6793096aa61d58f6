-- Every landed version of an annual report (classifier said yes, year known) of a registered government,
-- once per record_id, with the facts the canonical-report rule ranks on. Narrow on purpose: text, sections and
-- metrics stay in int_reports__landed, joined back by (record_id, run_id, fetched_at) where a mart needs them.
with

reports as (
    select
        record_id,
        run_id,
        government_id,
        content_hash,
        raw_sha256,
        list_url,
        url,
        title,
        source_name,
        issuer,
        decision_reason,
        extractor_version,
        report_year,
        char_count,
        is_annual_report,
        publish_date,
        fetched_at
    from {{ ref('int_reports__landed') }}
    -- a build for a past day ranks only the versions landed by then (macros/vars.sql landed_by_as_of)
    where {{ landed_by_as_of('fetched_at') }}
),

governments as (
    select * from {{ ref('stg_registry__governments') }}
),

page_events as (
    select * from {{ ref('int_links__page_events') }}
),

issuers as (
    select * from {{ ref('int_reports__issuers') }}
),

annual as (
    select
        *,
        min(fetched_at) over (partition by record_id) as first_seen_at,
        -- The day a report came out belongs to the report (government, year, URL), not to its latest version: an
        -- edit after the due date, or a re-extraction, must not turn an on-time report late.
        min(fetched_at) over (partition by government_id, report_year, url) as page_first_seen_at,
        min(publish_date) over (partition by government_id, report_year, url) as page_publish_date,
        max(fetched_at) over (partition by government_id, url) as page_last_fetched_at
    from reports
    where is_annual_report
        and report_year is not null
    -- the same content can land twice (a page edited and edited back): one row per version, the latest landing
    qualify row_number() over (partition by record_id order by fetched_at desc, run_id desc) = 1
),

enriched as (
    select
        -- ids
        annual.record_id as record_id,
        annual.government_id || ':' || annual.report_year as report_id,
        annual.government_id as government_id,
        annual.run_id as run_id,
        annual.content_hash as content_hash,
        annual.raw_sha256 as raw_sha256,
        -- strings
        annual.list_url as list_url,
        annual.url as url,
        annual.title as title,
        annual.source_name as source_name,
        annual.issuer as issuer,
        annual.decision_reason as decision_reason,
        annual.extractor_version as extractor_version,
        -- numbers
        annual.report_year as report_year,
        coalesce(annual.char_count, 0) as char_count,
        -- booleans
        (
            page_events.last_gone_at is null
            or page_events.last_gone_at
            < greatest(annual.page_last_fetched_at, coalesce(page_events.last_listed_at, '-infinity'::timestamp))
        ) as is_online,
        -- no signature, or one the crawler's rule accepts (int_reports__issuers applies it)
        coalesce(issuers.is_own_issuer, true) as is_own_issuer,
        -- the classifier's 政策解读 look-alike (scrapers.classify.INTERPRETATION_PATTERN, passed by fzzf)
        regexp_matches(
            coalesce(annual.title, ''), '{{ var("interpretation_pattern") | replace("'", "''") }}'
        ) as is_interpretation,
        regexp_matches(lower(annual.url), '\.(pdf|docx?|wps|ofd|xlsx?)([?#].*)?$') as is_attachment,
        row_number() over (
            partition by annual.government_id, annual.url
            order by annual.fetched_at desc, annual.record_id
        ) = 1 as is_latest_of_page,
        -- dates and timestamps
        annual.publish_date as publish_date,
        annual.page_publish_date as page_publish_date,
        annual.first_seen_at as first_seen_at,
        annual.page_first_seen_at as page_first_seen_at,
        annual.fetched_at as fetched_at,
        page_events.last_gone_at as last_gone_at
    from annual
    inner join governments
        on annual.government_id = governments.government_id
    left join page_events
        on annual.government_id = page_events.government_id
        and annual.url = page_events.url
    left join issuers
        on annual.government_id = issuers.government_id
        and annual.issuer = issuers.issuer
)

select * from enriched
