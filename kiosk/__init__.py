"""passkiosk Qt application (views over the pure gate state machine)."""
