"""SQL on the published copy: ``make query`` (one statement, printed as a table, CSV, JSON or Markdown) and
``make sql`` (harlequin, an interactive terminal SQL IDE, in its own virtualenv). Both open the published
serving copy read-only, never the working file a build writes."""
