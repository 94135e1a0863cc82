"""Database layer: schema, engines, unit of work and the SQL behind each domain module."""
