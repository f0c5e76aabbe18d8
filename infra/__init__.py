"""CloudFormation for the front door and the deploy path (see README: Deploying with the front door)."""
