{#-
    Per (government, report year): evidence that a report exists although none is published, so that the year is
    `unknown` (with the reason) and never `missing`:
      - a link whose title reads as that year's report, whose latest answer was an error (HTTP error, timeout,
        an error page; the crawler keeps asking it again, see scrapers/collect/state.py);
      - a landed report the landing gate held back, for any reason (its text, an impossible date such as 12-28 of
        its own year, a look-alike title): the crawler judged the page a report, so only a person can say it is not.
    A link the crawler later judged (landed, skipped) is no longer evidence: only its latest decision counts.

    A link that answered only 404/410 on every attempt over gone_after_days (FZZF_GONE_AFTER_DAYS, default 14) is
    gone, not failing: it is no evidence any more, and its year gets `gone_since_at` / `gone_url` instead, so that
    coverage can say "listed but the page is gone since D" (issue 20.12) rather than stay `unknown` for ever.

    A reports landing file the build quarantined as damaged (scrapers/landing.py quarantine_unreadable: the file
    under quarantine/landing/reports/<run>/<government id>.jsonl, a .why beside it written at that moment) hid
    reports that exist; the next crawl of the government fetches them again (scrapers/collect/state.py
    forget_quarantined). Until a successful crawl run has started after the quarantine, every year of that
    government is held (issue 20.2): its reports are out of sight, not absent.
    A damaged links or crawl_log file hid a run's link decisions (a failing report link's error rows) or the run
    itself (a list page that failed in it): every year is held until a successful run after that run, which
    records them again (a failing link stays pending in the crawl state and gets a row every run).

    A build for a past day sees only the evidence landed by then (macros/vars.sql landed_by_as_of): a link that
    failed, or a report held back, only after that day says nothing of it.
-#}
{%- set ns = namespace(has_quarantined=false) -%}
{%- if execute -%}
    {%- set found = run_query(
        "select count(*) from glob(" ~ data_path('quarantine/landing/*/*/*.jsonl.why') ~ ")"
    ) -%}
    {%- set ns.has_quarantined = found.columns[0].values()[0] > 0 -%}
{%- endif %}
with

landed_links as (
    select * from {{ ref('stg_landing__links') }}
    where {{ landed_by_as_of('seen_at') }}
),

{{ drop_quarantined('landed_links', 'links') }},

links as (
    select * from kept
),

-- every landed report row, with the gate's verdict (int_reports__landed holds only the rows the gate let through)
landed_reports as (
    select * exclude (landing_file, landing_file_size, landing_file_modified_at)
    from {{ ref('stg_landing__reports') }}
    where {{ landed_by_as_of('fetched_at') }}
),

{{ flag_quarantined('landed_reports', 'reports') }},

reports as (
    select * from flagged
),

-- Every judgement of a link, with whether it was a request answered 404/410 ("pending: …" rows made no request).
attempts as (
    select
        *,
        decision = 'error' and http_status in (404, 410) and reason not like 'pending:%' as is_gone_answer,
        decision <> 'error' or (reason not like 'pending:%' and coalesce(http_status, 0) not in (404, 410))
            as is_other_answer
    from links
    where url is not null
),

latest_link as (
    select
        government_id,
        url,
        report_year,
        decision,
        reason,
        http_status,
        seen_at,
        count(*) filter (where decision = 'error') over (partition by government_id, url) as error_rows,
        count(distinct run_id) filter (where decision = 'error') over (partition by government_id, url) as error_runs,
        min(seen_at) filter (where decision = 'error') over (partition by government_id, url) as first_error_at
    from attempts
    qualify row_number() over (partition by government_id, url order by seen_at desc, run_id desc) = 1
),

-- Per link: the 404/410 answers since its last other answer (a success, another error), first and last.
gone_streaks as (
    select
        government_id,
        url,
        min(seen_at) filter (where is_gone_answer and seen_at > last_other_at) as gone_since_at,
        max(seen_at) filter (where is_gone_answer and seen_at > last_other_at) as gone_last_at
    from (
        select
            *,
            coalesce(
                max(seen_at) filter (where is_other_answer) over (partition by government_id, url),
                '-infinity'::timestamp
            ) as last_other_at
        from attempts
    )
    group by government_id, url
),

judged_links as (
    select
        latest_link.*,
        gone_streaks.gone_since_at,
        coalesce(
            latest_link.decision = 'error'
            and gone_streaks.gone_last_at >= gone_streaks.gone_since_at + interval ({{ gone_after_days() }}) day,
            false
        ) as is_gone
    from latest_link
    left join gone_streaks
        on latest_link.government_id = gone_streaks.government_id
        and latest_link.url = gone_streaks.url
),

gone_links as (
    select
        government_id,
        report_year,
        max(gone_since_at) as gone_since_at,
        arg_max(url, gone_since_at) as url
    from judged_links
    where is_gone
        and report_year is not null
    group by government_id, report_year
),

failed_links as (
    select
        government_id,
        report_year,
        count(*) as candidates,
        max(error_runs) as runs,
        min(first_error_at) as since_at,
        arg_max(url, seen_at) as url,
        arg_max(coalesce('HTTP ' || http_status::varchar || ', ', '') || reason, seen_at) as last_error
    from judged_links
    where decision = 'error'
        and not is_gone
        and report_year is not null
    group by government_id, report_year
),

report_years as (
    select * from {{ ref('int_governments__report_years') }}
),

runs as (
    select * from {{ ref('int_crawl__government_runs') }}
),

-- the damaged landing files the build moved away; the .why file's time is when (a file's own time is its landing).
-- A data directory copied without its file times reads as quarantined lately: held until a crawl, never `missing`.
quarantined_files as (
{%- if ns.has_quarantined %}
    select
        regexp_extract(filename, 'quarantine/landing/([^/]+)/', 1) as stream,
        regexp_extract(filename, 'quarantine/landing/[^/]+/([^/]+)/', 1) as run_id,
        regexp_extract(filename, '([^/]+)\.jsonl\.why$', 1) as government_id,
        regexp_extract(filename, '(quarantine/landing/[^/]+/[^/]+/[^/]+\.jsonl)\.why$', 1) as landing_file,
        make_timestamp(epoch_us(last_modified)) as quarantined_at  -- naive UTC, as the crawl log's times
    from read_text({{ data_path('quarantine/landing/*/*/*.jsonl.why') }})
{%- else %}
    select
        null::varchar as stream,
        null::varchar as run_id,
        null::varchar as government_id,
        null::varchar as landing_file,
        null::timestamp as quarantined_at
    where false
{%- endif %}
),

last_crawl as (
    select
        government_id,
        max(started_at) as started_at,
        max(run_id) as run_id  -- run ids sort by their start (scrapers.landing.new_run_id)
    from runs
    where is_success
    group by government_id
),

-- per government: its quarantined files that no successful crawl has followed yet
unfollowed_quarantine as (
    select
        quarantined_files.government_id,
        count(*) as files,
        arg_max(quarantined_files.landing_file, quarantined_files.quarantined_at) as landing_file,
        arg_max(quarantined_files.stream, quarantined_files.quarantined_at) as stream
    from quarantined_files
    left join last_crawl
        on quarantined_files.government_id = last_crawl.government_id
    -- reports: both times are to the second (a crawl and the build after it often share one): the same second
    -- holds. links, crawl_log: a successful run after the damaged file's own run has recorded it all again.
    where last_crawl.started_at is null
        or (quarantined_files.stream = 'reports' and quarantined_files.quarantined_at >= last_crawl.started_at)
        or (quarantined_files.stream <> 'reports' and quarantined_files.run_id >= last_crawl.run_id)
    group by quarantined_files.government_id
),

quarantined_years as (
    select
        report_years.government_id,
        report_years.report_year,
        'a landing file of this government was damaged and quarantined (' || unfollowed_quarantine.landing_file
        || case when unfollowed_quarantine.files > 1 then ' and ' || (unfollowed_quarantine.files - 1) || ' more'
            else '' end
        || case
            when unfollowed_quarantine.stream = 'reports' then '); its reports are fetched again at the next crawl'
            else '); the next crawl records its ' || replace(unfollowed_quarantine.stream, '_', ' ') || ' again'
        end as reason
    from report_years
    inner join unfollowed_quarantine
        on report_years.government_id = unfollowed_quarantine.government_id
),

held_reports as (
    select
        government_id,
        report_year,
        count(distinct record_id) as candidates,
        arg_max(url, fetched_at) as url,
        arg_max(quarantine_reason, fetched_at) as quarantine_reason
    from reports
    where is_quarantined
        and is_annual_report
        and report_year is not null
    group by government_id, report_year
),

evidence as (
    select
        coalesce(failed_links.government_id, held_reports.government_id) as government_id,
        coalesce(failed_links.report_year, held_reports.report_year) as report_year,
        failed_links.candidates as failed_candidates,
        failed_links.runs as runs,
        failed_links.since_at as since_at,
        failed_links.url as failed_url,
        failed_links.last_error as last_error,
        held_reports.candidates as held_candidates,
        held_reports.url as held_url,
        held_reports.quarantine_reason as quarantine_reason,
        held_reports.government_id is not null as has_held_report
    from failed_links
    full outer join held_reports
        on failed_links.government_id = held_reports.government_id
        and failed_links.report_year = held_reports.report_year
),

final as (
    select
        coalesce(evidence.government_id, gone_links.government_id, quarantined_years.government_id) || ':'
        || coalesce(evidence.report_year, gone_links.report_year, quarantined_years.report_year) as report_id,
        coalesce(evidence.government_id, gone_links.government_id, quarantined_years.government_id)
            as government_id,
        coalesce(evidence.report_year, gone_links.report_year, quarantined_years.report_year) as report_year,
        case
            when evidence.has_held_report then 'held_back'
            when evidence.runs is not null and evidence.last_error ilike '%robots.txt%' then 'robots'
            -- a JS challenge (Ruishu's 412, the 521 cookie script) or a page that only a browser renders
            when evidence.runs is not null
                and regexp_matches(evidence.last_error, '(?i)^HTTP (412|521),|browser|javascript|js challenge')
                then 'needs_browser'
            when evidence.runs is not null then 'link_failed'
            -- the build itself held the year's reports back (a damaged landing file, quarantined)
            when quarantined_years.reason is not null then 'held_back'
        end as held_kind,
        case
            when evidence.has_held_report
                then 'report found but held back by the landing gate: ' || evidence.quarantine_reason
            when evidence.runs is not null
                then 'link found, could not be fetched on ' || evidence.runs || ' run(s) since '
                    || strftime({{ beijing_day('evidence.since_at') }}, '%Y-%m-%d') || ', retrying: '
                    || evidence.last_error
            when quarantined_years.reason is not null then quarantined_years.reason
        end as held_reason,
        coalesce(evidence.held_url, evidence.failed_url) as candidate_url,
        coalesce(evidence.failed_candidates, 0) as failed_links,
        coalesce(evidence.held_candidates, 0) as held_reports,
        -- every link of the year answered 404/410 over gone_after_days (null while any other evidence holds)
        case
            when evidence.government_id is null and quarantined_years.government_id is null
                then gone_links.gone_since_at
        end as gone_since_at,
        case
            when evidence.government_id is null and quarantined_years.government_id is null then gone_links.url
        end as gone_url
    from evidence
    full outer join gone_links
        on evidence.government_id = gone_links.government_id
        and evidence.report_year = gone_links.report_year
    full outer join quarantined_years
        on coalesce(evidence.government_id, gone_links.government_id) = quarantined_years.government_id
        and coalesce(evidence.report_year, gone_links.report_year) = quarantined_years.report_year
)

select * from final
