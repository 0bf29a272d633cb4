"""Deliberately broken sellers: the bundled mock seller behind a proxy that breaks one
requirement, to prove the suites catch what they claim to catch."""
