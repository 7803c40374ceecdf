"""Shared foundations: settings, database engine and sessions, column types, errors."""
