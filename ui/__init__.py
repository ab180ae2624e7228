"""The interfaces: the `newsdesk` CLI and the web chat."""
