"""Process entry points: the gRPC server, the bus consumer, the CLI."""
