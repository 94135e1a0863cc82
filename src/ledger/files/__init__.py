"""Bank files: the edge where bytes from and for banks become records (pandas lives here)."""
