"""The Envoy edge: REST-to-gRPC transcoding, JWT validation, role checks, rate limits, CORS and a
native gRPC pass-through. The configuration is generated from the protos themselves: each RPC's
google.api.http rule gives its REST route and its caller policy gives the route's auth rules."""
