"""The daemon's HTTP side: the payments API (and, later, the agent panel)."""
