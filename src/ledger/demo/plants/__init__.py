"""The demo's plants, one module per category of DESIGN §6 (see ``ledger.demo.anomalies``)."""
