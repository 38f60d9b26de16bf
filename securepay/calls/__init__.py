"""Live calls: which caller talks to which agent, through which bridge."""
