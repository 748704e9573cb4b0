"""PostgreSQL, RabbitMQ, SMTP, PDF and file-storage implementations of the ports."""
