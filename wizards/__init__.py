from . import amazon_token_wizard
