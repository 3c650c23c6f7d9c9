"""The partner as composition root, and the suite that serves partners: they build ports, protocol
adapters and processors, and nothing they build imports them."""
