"""The partner's narrow ports: what protocol adapters and processors may call (sessions, the file tree,
the login guard, the interfaces a partner offers them), never the partner itself."""
