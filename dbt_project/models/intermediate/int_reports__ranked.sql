{#-
    The canonical-report rule. Among all versions of one (government, report year), the canonical one is the first
    after ordering by:
      1. the latest version of its page (an edited page replaces its earlier text)      -> older_version
      2. still online (a page that vanished loses to one that is up)                    -> offline
      3. issued by this government (a repost naming another government loses)          -> repost_of_other_government
      4. not a 政策解读/图解/问答 of the report                                            -> interpretation
      5. an HTML page before an attachment (PDF/DOC/...) of the same report              -> attachment
      6. earliest publish date (the first publication, not a later repost), nulls last  -> later_publication
      7. longest body, then URL (deterministic tie-break)                               -> duplicate
    Every other version keeps the reason it lost: the first rule on which it differs from the canonical version.
    Narrow on purpose (no body, sections or metrics): marts join int_reports__landed by (record_id, run_id,
    fetched_at) for those; raw_sha256 and extractor_version say what that landed row was made of (the incremental
    marts rebuild a report when either changes, see macros/canonical_incremental.sql).
-#}
with

versions as (
    select
        record_id,
        report_id,
        government_id,
        run_id,
        content_hash,
        raw_sha256,
        extractor_version,
        list_url,
        url,
        title,
        issuer,
        report_year,
        char_count,
        is_online,
        is_own_issuer,
        is_interpretation,
        is_attachment,
        is_latest_of_page,
        publish_date,
        page_publish_date,
        first_seen_at,
        page_first_seen_at,
        fetched_at,
        last_gone_at
    from {{ ref('int_reports__versions') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by government_id, report_year
            order by
                is_latest_of_page desc,
                is_online desc,
                is_own_issuer desc,
                is_interpretation asc,
                is_attachment asc,
                publish_date asc nulls last,
                char_count desc,
                url asc,
                record_id asc
        ) as version_rank,
        count(*) over (partition by government_id, report_year) as version_count
    from versions
),

canonical as (
    select * from ranked
    where version_rank = 1
),

final as (
    select
        ranked.*,
        canonical.record_id as canonical_record_id,
        ranked.version_rank = 1 as is_canonical,
        case
            when ranked.version_rank = 1 then null
            when not ranked.is_latest_of_page then 'older_version'
            when canonical.is_online and not ranked.is_online then 'offline'
            when canonical.is_own_issuer and not ranked.is_own_issuer then 'repost_of_other_government'
            when not canonical.is_interpretation and ranked.is_interpretation then 'interpretation'
            when not canonical.is_attachment and ranked.is_attachment then 'attachment'
            when ranked.publish_date is null and canonical.publish_date is not null then 'later_publication'
            when ranked.publish_date > canonical.publish_date then 'later_publication'
            else 'duplicate'
        end as loss_reason
    from ranked
    inner join canonical
        on ranked.government_id = canonical.government_id
        and ranked.report_year = canonical.report_year
)

select * from final
