"""Payments requested by agents: the records and the service that runs them."""
