"""Arrow/Parquet result store for qframe runs."""
