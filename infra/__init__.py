"""The front door and the deploy path (README: Deploying with the front door)."""
