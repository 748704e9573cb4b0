"""What every ApexTick service shares, and nothing service-specific: the error catalogue, identity and
caller policies, typed settings, JSON logs, gRPC hosting with the call pipeline and its one error
table, token verification, proto time helpers, the bus topology and an Alembic helper.

It imports no service: booking and notification meet only here and in the generated contracts."""
