"""make whatif: the strategy engine's race time for a strategy a driver did not drive, and where it puts him."""
