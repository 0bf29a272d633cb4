"""What makes the mock a sandbox for buyers: optional auth, buyer isolation (tenancy),
runtime control under ``/_mock``, injected faults and the callback URL policy."""
