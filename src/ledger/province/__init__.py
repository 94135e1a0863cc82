"""The province: extracts of county ledgers and cross-county detection on Apache Spark.

``schema``: the extract's tables, version and keyed hashes; ``extract``: a county's
extract for one period (pandas, set-based SQL); ``manifest``: the manifest and its
checks; ``rules``/``job``: the Spark job (pyspark imported only there); ``report``: the
findings as Parquet, CSV and HTML. See docs/province.md.
"""
