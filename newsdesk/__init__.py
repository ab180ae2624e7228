"""newsdesk: cited answers from a collection of news articles. The repository's folders are its subpackages:
newsdesk.rag (the core), newsdesk.ingest, newsdesk.ui (the CLI, the web app, the API and the MCP server) and
newsdesk.benchmarks."""
