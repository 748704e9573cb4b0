"""Entry points: the gRPC server and the command line that starts it."""
