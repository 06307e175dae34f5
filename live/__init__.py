"""Live weekend mode (``make live``): follow one session while it runs, keep the warehouse and a live strategy
board current, then hand over to a normal ``make build`` when the session is over.

One job per module: ``session`` finds the session and reads its status, ``records`` keeps what was received,
``rest`` and ``mqtt`` fetch what is new, ``load`` writes it with dlt, ``build`` runs the board's part of the
dbt graph in this process, ``publish`` copies the board's marts for readers, ``loop`` runs the cycles.
"""
