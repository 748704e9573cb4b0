"""The NotificationService gRPC server."""
