"""Events between process roles: in-process by default, Redis pub/sub when configured."""
