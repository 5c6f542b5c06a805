"""Pilotage RSA pipelines: read, validate, pseudonymise and load the agreement files into DuckDB."""

__version__ = "0.1.0"
