from . import test_skeleton
from . import test_accounts
from . import test_consent
from . import test_orders
from . import test_shipments
from . import test_stock
from . import test_visibility
from . import test_tour
