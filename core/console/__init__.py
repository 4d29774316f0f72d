"""The console: server-rendered pages at ``/console`` for admins, marketers, agent leads and
viewers, with accounts, sessions, per-user API tokens and an audit log (docs/console.md)."""
