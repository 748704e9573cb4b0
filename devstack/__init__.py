"""Developer stack helpers: a stand-in identity provider with Keycloak's token layout, demo tokens,
and demo data. Never imported by the services."""
