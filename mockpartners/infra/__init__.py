"""What every partner stands on: the journal, the clock, the state directory and its credentials, keys and
certificates, limits, and files written whole. It knows profiles (the model) and nothing above."""
