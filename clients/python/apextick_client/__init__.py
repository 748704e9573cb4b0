"""The ApexTick Python SDK: typed gRPC stubs with authentication, and the `apextick` command."""
