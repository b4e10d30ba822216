"""graphql_api: a GraphQL façade over the Microsoft Partner Center customers REST API."""

__version__ = "0.1.0"
