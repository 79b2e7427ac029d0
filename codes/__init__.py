"""codes package."""
