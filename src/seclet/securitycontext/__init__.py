"""seclet package."""
