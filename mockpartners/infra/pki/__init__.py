"""Keys and certificates: SSH key pairs, and the X.509 chains of TLS partners (trustme).

Everything is generated once into the state directory and read back afterwards; a file that exists is
never replaced, and a corrupt one is a clear error naming it.
"""

from ._ssh import KeyPair, fingerprints, key_file_name, load_or_create_key_pair

__all__ = ["KeyPair", "fingerprints", "key_file_name", "load_or_create_key_pair"]
