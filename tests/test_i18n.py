"""The sellers' languages (issue #16): the shipped ``i18n/*.pot`` is what Odoo
exports from the code, so no user-facing string is left out of it, and every
shipped translation covers every string of it."""

import io
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import trans_export

MODULE = "sale_amazon_connector"
I18N = Path(__file__).resolve().parent.parent / "i18n"
LANGUAGES = ("de", "fr", "es", "it")


def entries(po):
    """{(msgctxt, msgid): entry} of a parsed .po/.pot (the header left out)."""
    return {(entry.msgctxt, entry.msgid): entry for entry in po if entry.msgid}


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        buffer = io.BytesIO()
        trans_export(None, [MODULE], buffer, "po", cls.env.cr)
        cls.exported = entries(polib.pofile(buffer.getvalue().decode()))
        cls.shipped = entries(polib.pofile(str(I18N / f"{MODULE}.pot")))

    def test_the_pot_file_matches_the_code(self):
        missing = sorted(msgid for _ctx, msgid in self.exported.keys() - self.shipped.keys())
        stale = sorted(msgid for _ctx, msgid in self.shipped.keys() - self.exported.keys())
        self.assertFalse(
            missing,
            f"strings of the code missing from i18n/{MODULE}.pot (export it again): {missing[:10]}",
        )
        self.assertFalse(stale, f"strings of i18n/{MODULE}.pot no longer in the code: {stale[:10]}")
        self.assertGreater(len(self.exported), 100)

    def test_every_language_translates_every_string(self):
        for lang in LANGUAGES:
            with self.subTest(lang=lang):
                path = I18N / f"{lang}.po"
                self.assertTrue(path.exists(), f"i18n/{lang}.po is missing")
                translated = entries(polib.pofile(str(path)))
                untranslated = sorted(
                    msgid
                    for key in self.shipped
                    if not (translated.get(key) and translated[key].msgstr.strip())
                    for _ctx, msgid in [key]
                )
                self.assertFalse(untranslated, f"{lang}: untranslated {untranslated[:10]}")

    def test_a_german_seller_reads_german(self):
        """Loaded as Odoo loads a language: the views' and fields' terms and the
        code's messages come in German."""
        self.env["res.lang"]._activate_lang("de_DE")
        self.env["ir.module.module"]._load_module_terms([MODULE], ["de_DE"], overwrite=True)
        german = self.env(context={"lang": "de_DE"})
        field = german["ir.model.fields"]._get("sale.order", "amazon_total_difference")
        self.assertEqual(field.field_description, "Abweichung zu Amazon")
        self.assertEqual(
            german._("Amazon order %(ref)s not imported", ref="123"),
            "Amazon-Bestellung 123 nicht importiert",
        )
        # Issue #40: one German word for an offer, days in the dative, Amazon's
        # codes in words.
        offer = german["ir.model"]._get("amazon.offer")
        self.assertEqual(offer.name, "Amazon-SKU-Zuordnung")
        sale = german["sale.order"].new({"amazon_status": "PARTIALLY_SHIPPED"})
        self.assertEqual(sale.amazon_status_label, "Teilweise versandt")
        transaction = german["amazon.finance.transaction"].new(
            {"kind": "ServiceFee", "status": "RELEASED"}
        )
        self.assertEqual(
            (transaction.kind_label, transaction.status_label), ("Servicegebühr", "Freigegeben")
        )
        unknown = german["amazon.finance.transaction"].new({"kind": "DebtRecovery"})
        self.assertEqual(unknown.kind_label, "Debt Recovery", "a code it does not know, spelled")
