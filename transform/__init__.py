"""The transform step of make build: dbt build with progress, the record make publish reads, closing notes."""
