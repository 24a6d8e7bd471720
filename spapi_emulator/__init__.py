"""A local, stateful emulator of Amazon's Selling Partner API (and LWA).

from spapi_emulator import Emulator
with Emulator(speed=100) as emulator:
    emulator.store.add_app("client", "secret")
    emulator.store.add_seller("SELLER", ["ATVPDKIKX0DER"], client_id="client",
                              refresh_token="Atzr|token")
    ...  # point the SP-API client at emulator.url
"""

from .marketplaces import MARKETPLACES
from .ratelimits import USAGE_PLANS
from .server import ApiError, Call, Emulator
from .store import Address, Store, StoreError

__all__ = [
    "MARKETPLACES",
    "USAGE_PLANS",
    "Address",
    "ApiError",
    "Call",
    "Emulator",
    "Store",
    "StoreError",
]
