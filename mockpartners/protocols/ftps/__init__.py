"""FTPS (explicit TLS) with pyftpdlib and pyOpenSSL: per-endpoint handler subclasses, journalled."""

from ._server import FtpsServer

__all__ = ["FtpsServer"]
