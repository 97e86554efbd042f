"""Discord implementations of the ports several features share (services define the ports)."""
