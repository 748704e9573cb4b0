"""Pure domain model: no database, network, gRPC or protobuf imports live here."""
