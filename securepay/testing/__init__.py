"""Test doubles that run for real: local servers standing in for outside services."""
