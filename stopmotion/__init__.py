"""Desktop side of the stop-motion camera: the local stack, and tools for frames and film."""
