-- Landing rows the landing gate held back from this build, and why.
with

quarantine as (
    select * from {{ ref('stg_gate__quarantine') }}
),

final as (
    select
        record_id as record_id,
        stream as stream,
        reason as reason,
        expectation as expectation,
        quarantined_at as quarantined_at
    from quarantine
)

select * from final
