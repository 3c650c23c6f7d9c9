"""SFTP with asyncssh: thin subclasses that route every request through the partner's session."""

from ._endpoint import SftpServer

__all__ = ["SftpServer"]
