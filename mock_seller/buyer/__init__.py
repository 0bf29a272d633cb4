"""Buyer-side conformance: the checks of buyer requests (``checks``), the Flask glue that
runs them (``hooks``), the bounded per-buyer record (``recorder``) and the buyer report."""
