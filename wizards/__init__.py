from . import amazon_token_wizard
from . import amazon_recover_order_wizard
from . import amazon_cancel_wizard
from . import amazon_shipping_rate_wizard
