from . import res_company
from . import res_config_settings
from . import amazon_marketplace
from . import amazon_account
from . import amazon_offer
from . import amazon_order_failure
from . import sale_order
