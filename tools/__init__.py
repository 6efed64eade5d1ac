"""Maintainer commands for the modskel template repository."""
