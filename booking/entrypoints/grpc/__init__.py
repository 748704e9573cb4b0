"""The booking gRPC server: servicers map protobuf to use cases; the server module only assembles."""
