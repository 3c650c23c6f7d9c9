"""What every endpoint model declares besides its fields, so that no layer below the protocol adapters has to
know a protocol by name: the credentials a partner must make for it, the host key types, the TLS names.

An endpoint model (``SftpEndpoint``, ``FtpsEndpoint``, ...) is the protocol's entry in the profile schema;
its adapter is registered under the same ``protocol`` name in ``mockpartners.protocols``.
"""

from __future__ import annotations

from typing import ClassVar, Literal, get_args

from ._types import Model

__all__ = ["Credential", "EndpointModel"]

Credential = Literal["ssh", "tls"]
"""Credentials a partner makes in its state directory: ``ssh`` (host keys, sample account keys, the wrong
key), ``tls`` (a server chain, a client CA, client certificates and the training ones)."""


class EndpointModel(Model):
    """The base of every endpoint model."""

    credentials: ClassVar[frozenset[Credential]] = frozenset()
    """What the partner must make before this endpoint can serve."""

    @classmethod
    def protocol_name(cls) -> str:
        """The ``protocol:`` value that selects this model (the union's discriminator)."""
        values = get_args(cls.model_fields["protocol"].annotation)
        return str(values[0])

    def host_key_types(self) -> tuple[str, ...]:
        """SSH host key types this endpoint presents (none for a protocol without SSH)."""
        return ()

    def certificate_names(self) -> tuple[str, ...]:
        """Host names the server certificate must carry for this endpoint, besides the partner's own."""
        return ()
