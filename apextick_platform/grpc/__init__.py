"""gRPC hosting shared by the services: the call pipeline, the error table, health and reflection."""
