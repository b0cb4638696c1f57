"""Intake: every agency's records arrive here (feeds via ``openmash ingest``, the HTTP API), are checked
against interchange contract v1, stored with provenance and version history or quarantined with every
reason, and each stored version is handed, in processing order, to the pipeline stages (identity, protocol).
"""
