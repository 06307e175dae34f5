"""``make status``: the warehouse's state in a few lines, read without taking or waiting for the build's lock.

One module per question: ``warehouse`` (what the working file holds and its last load), ``build`` (the last
passing dbt build), ``published`` (the published copy: its age, what is provisional or incomplete), ``source``
(whether SOURCE answers, and with which credentials); ``text`` formats times, ``__main__`` prints the lines.
"""
