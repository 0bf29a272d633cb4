"""Package data: the MEF 79.1 requirement catalogue (catalogue.yaml) and its JSON Schema.

Loaded through ``schemas.catalogue``; this package exists so the files ship in the wheel and
are found with importlib.resources.
"""
