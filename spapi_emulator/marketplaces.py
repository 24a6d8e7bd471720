"""Amazon's marketplaces as the emulator knows them (public marketplace-id list)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Marketplace:
    id: str
    country: str
    name: str
    domain: str
    currency: str
    language: str
    region: str  # na, eu, fe
    tax_included: bool  # prices shown to buyers include VAT/GST


_ROWS = [
    # id, country, domain, currency, language, region, tax included
    ("A2EUQ1WTGCTBG2", "CA", "amazon.ca", "CAD", "en_CA", "na", False),
    ("ATVPDKIKX0DER", "US", "amazon.com", "USD", "en_US", "na", False),
    ("A1AM78C64UM0Y8", "MX", "amazon.com.mx", "MXN", "es_MX", "na", True),
    ("A2Q3Y263D00KWC", "BR", "amazon.com.br", "BRL", "pt_BR", "na", True),
    ("A28R8C7NBKEWEA", "IE", "amazon.ie", "EUR", "en_IE", "eu", True),
    ("A1RKKUPIHCS9HS", "ES", "amazon.es", "EUR", "es_ES", "eu", True),
    ("A1F83G8C2ARO7P", "GB", "amazon.co.uk", "GBP", "en_GB", "eu", True),
    ("A13V1IB3VIYZZH", "FR", "amazon.fr", "EUR", "fr_FR", "eu", True),
    ("AMEN7PMS3EDWL", "BE", "amazon.com.be", "EUR", "fr_BE", "eu", True),
    ("A1805IZSGTT6HS", "NL", "amazon.nl", "EUR", "nl_NL", "eu", True),
    ("A1PA6795UKMFR9", "DE", "amazon.de", "EUR", "de_DE", "eu", True),
    ("APJ6JRA9NG5V4", "IT", "amazon.it", "EUR", "it_IT", "eu", True),
    ("A2NODRKZP88ZB9", "SE", "amazon.se", "SEK", "sv_SE", "eu", True),
    ("AE08WJ6YKNBMC", "ZA", "amazon.co.za", "ZAR", "en_ZA", "eu", True),
    ("A1C3SOZRARQ6R3", "PL", "amazon.pl", "PLN", "pl_PL", "eu", True),
    ("ARBP9OOSHTCHU", "EG", "amazon.eg", "EGP", "ar_EG", "eu", True),
    ("A33AVAJ2PDY3EV", "TR", "amazon.com.tr", "TRY", "tr_TR", "eu", True),
    ("A17E79C6D8DWNP", "SA", "amazon.sa", "SAR", "ar_SA", "eu", True),
    ("A2VIGQ35RCS4UG", "AE", "amazon.ae", "AED", "en_AE", "eu", True),
    ("A21TJRUUN4KGV", "IN", "amazon.in", "INR", "en_IN", "eu", True),
    ("A19VAU5U5O7RUS", "SG", "amazon.sg", "SGD", "en_SG", "fe", True),
    ("A39IBJ37TRP1C6", "AU", "amazon.com.au", "AUD", "en_AU", "fe", True),
    ("A1VC38T7YXB528", "JP", "amazon.co.jp", "JPY", "ja_JP", "fe", True),
]

MARKETPLACES = {
    row[0]: Marketplace(
        id=row[0],
        country=row[1],
        name="Amazon." + row[2].split("amazon.", 1)[1],
        domain=row[2],
        currency=row[3],
        language=row[4],
        region=row[5],
        tax_included=row[6],
    )
    for row in _ROWS
}
