"""What a partner is, as data: the profile schema, its value types and errors, and loading with precise
messages. The lowest layer: it imports nothing else of mockpartners."""
