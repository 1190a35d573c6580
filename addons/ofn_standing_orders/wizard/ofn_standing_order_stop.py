"""Placeholder: the pause / cancel wizard is written next."""
