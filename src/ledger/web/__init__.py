"""The auditors' console (``ledger web``, docs/web.md): server-rendered pages over the
ledger, signed in as a registered operator, each page checking the operator's role."""
