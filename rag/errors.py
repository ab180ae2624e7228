class NewsdeskError(Exception):
    """An error with a message a user can act on; the CLI prints it on one line."""


class InputError(NewsdeskError):
    """A file, field or question that newsdesk cannot use."""


class StoreError(NewsdeskError):
    """The vector store or the manifest cannot be reached or is inconsistent."""


class BusyError(NewsdeskError):
    """Another process holds the ingest lock."""
