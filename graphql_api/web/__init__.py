"""The HTTP face of the service: the ASGI app, the /graphql view, request limits and serving."""
