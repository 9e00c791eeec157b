import privacy  # noqa: F401  first: keeps third-party libraries off the network before any of them loads

__version__ = "0.1.0"
