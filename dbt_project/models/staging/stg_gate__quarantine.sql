{#-
    The landing gate writes DATA_DIR/build/quarantine.jsonl before dbt runs. The file may not exist (no gate has run):
    DuckDB's glob() tells us at run time, and then the model is an empty relation with the same columns.
-#}
-- depends_on: {{ source('gate', 'quarantine') }}
{%- set ns = namespace(has_file=false) -%}
{%- if execute -%}
    {%- set found = run_query("select count(*) from glob(" ~ data_path('build/quarantine.jsonl') ~ ")") -%}
    {%- set ns.has_file = found.columns[0].values()[0] > 0 -%}
{%- endif %}

with

{% if ns.has_file -%}
source as (
    select * from {{ source('gate', 'quarantine') }}
),
{%- else -%}
source as (
    select
        null::varchar as record_id,
        null::varchar as stream,
        null::varchar as reason,
        null::varchar as expectation,
        null::timestamp as quarantined_at
    where false
),
{%- endif %}

renamed as (
    select
        record_id as record_id,
        stream as stream,
        reason as reason,
        expectation as expectation,
        quarantined_at as quarantined_at
    from source
    where record_id is not null
)

select * from renamed
