"""Shared vocabulary: shipped data (schemas, catalogue, scenarios, profiles) and its loaders."""
