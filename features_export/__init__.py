"""Export the warehouse's ML feature tables (schema `features`) to Parquet with a time-based train/test split."""

from features_export.export import FEATURE_TABLES, export_features, split_meetings

__all__ = ["FEATURE_TABLES", "export_features", "split_meetings"]
