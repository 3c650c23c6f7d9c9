"""What users run: the runtime (a suite with its admin API), the command line, the pytest plugin and the
container fixture."""
