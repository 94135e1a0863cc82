"""A county in a box: the synthetic county, its planted anomalies, a simulated bank and
the orchestration behind ``ledger demo``.

- ``county``: the county configuration, the roster month by month, reference lists.
- ``anomalies``: what is planted, in known numbers, and the manifest that records it.
- ``bank``: a simulated bank that answers our bank files with return files.
- ``run``: the months end to end through the services' Python APIs.
"""
