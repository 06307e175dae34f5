{{ config(severity='warn') }}
{#-
    Flags a field whose type OpenF1 changed: dlt keeps a value that no longer fits the declared column type
    in a variant column named <field>__v_<type> instead of failing the load. Each row is one such column;
    staging does not read them, so their values are missing from the models until the catalogue
    (dlt_pipelines/openf1/catalogue.py) and staging are updated for the new type.
-#}
with

raw_columns as (

    {{ raw_column_catalog(env_var('OPENF1_RAW_SCHEMA', 'raw_openf1')) }}

),

variant_columns as (

    select
        table_name,
        column_name
    from raw_columns
    where
        strpos(column_name, '__v_') > 0
        and not starts_with(table_name, '_dlt')

)

select * from variant_columns
