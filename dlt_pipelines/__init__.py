"""dlt pipelines that load OpenF1 into the warehouse's raw_openf1 schema."""
