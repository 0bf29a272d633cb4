"""``python -m mock_seller --host --port --scenario``: same options as ``poq-conformance mock``."""

from __future__ import annotations

from mock_seller.cli import main

if __name__ == "__main__":
    main()
