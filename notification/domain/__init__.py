"""Pure rules of ticket delivery: documents, deliveries, mail content, the resend policy."""
