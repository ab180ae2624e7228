"""newsdesk core: settings, store, retrieval, answering, citations."""
