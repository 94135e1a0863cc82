"""Exports of the journal into auditors' own tools: Beancount, CSV and Parquet."""
