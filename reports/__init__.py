"""Static HTML reports rendered by jinja2 from the warehouse's marts (no BI server, no network)."""
