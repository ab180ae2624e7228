class NewsdeskError(Exception):
    """An error with a message a user can act on; the CLI prints it on one line."""


class InputError(NewsdeskError):
    """A file, field or question that newsdesk cannot use."""


class StoreError(NewsdeskError):
    """The vector store or the manifest cannot be reached or is inconsistent."""


class BusyError(NewsdeskError):
    """Another process holds the ingest lock."""


class FetchError(InputError):
    """A URL that could not be used; permanent when asking again unchanged would fail again (404, not an article)."""

    def __init__(self, url: str, reason: str, permanent: bool = False):
        super().__init__(f"{url}: {reason}")
        self.url, self.reason, self.permanent = url, reason, permanent
