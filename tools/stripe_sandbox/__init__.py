"""A local Stripe for the food-hub addons' tests and demo: localstripe extended with Stripe Connect.

Run it with ``PYTHONPATH=tools python -m stripe_sandbox --port 8420 --state-file PATH`` (see
``README.md``).

Importing the package itself stays light (no localstripe, no aiohttp) so that Odoo tests can use
:func:`sign_payload` and the pytest plugin; the server is assembled by :mod:`stripe_sandbox.server`.
"""

from .signing import sign_payload

PLATFORM_ACCOUNT_ID = "acct_1SandboxPlatform"
PLATFORM_NAME = "OFN Platform (sandbox)"

__all__ = ["PLATFORM_ACCOUNT_ID", "PLATFORM_NAME", "sign_payload"]
