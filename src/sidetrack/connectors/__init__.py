"""Clients of outside services and readers of their export files."""
