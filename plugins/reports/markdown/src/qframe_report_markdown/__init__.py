"""Markdown decision-matrix report and the Parquet matrix of cells."""
