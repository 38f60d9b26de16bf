"""Payment events and the bus that carries them to panels and integrations."""
