from . import amazon_flow
from . import amazon_order_import
from . import amazon_stock_push
from . import stock_picking
from . import amazon_notification_consumer
