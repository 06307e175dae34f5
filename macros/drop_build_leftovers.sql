{#-
    An on-run-start hook: drops what an interrupted dbt run left beside the relations it was replacing. dbt builds
    a model as `<name>__dbt_tmp`, renames the old one to `<name>__dbt_backup`, swaps them and drops the backup
    after the commit; a run killed in between (kill -9, power) leaves either relation in the model's schema until
    something removes it. Both names are looked up for every model and seed of the project (through dbt's
    relation cache, filled before the hooks run: no query per lookup), and the build says in one line what it
    dropped; nothing is said when there was nothing to drop. Returns no SQL (the drops run through the adapter).
-#}
{% macro drop_build_leftovers() -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set dropped = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='unique_id')
        if node.resource_type in ['model', 'seed'] and node.package_name == project_name -%}
        {%- for suffix in ['__dbt_backup', '__dbt_tmp'] -%}
            {%- set leftover = adapter.get_relation(
                database=node.database,
                schema=node.schema,
                identifier=(node.alias or node.name) ~ suffix,
            ) -%}
            {%- if leftover is not none -%}
                {%- do adapter.drop_relation(leftover) -%}
                {%- do dropped.append(leftover.schema ~ '.' ~ leftover.identifier) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if dropped -%}
        {%- do log(
            'cleanup: dropped what an interrupted dbt run left behind: ' ~ (dropped | join(', ')),
            info=True,
        ) -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
