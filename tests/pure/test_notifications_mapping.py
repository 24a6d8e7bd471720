"""Amazon's notifications as they come out of the queue (mapping/
notifications.py): whatever the schemas allow is read or refused with a
reason, never an exception of another kind; what is not a notification is
refused naming the field; and the emulator's own messages read back."""

import json

import pytest
from conftest import MODELS_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapping.checks import PayloadError
from mapping.notifications import message_id, parse_notification

hypothesis_jsonschema = pytest.importorskip("hypothesis_jsonschema")

EXAMPLES = settings(
    max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
SCHEMAS = (
    "OrderChangeNotification.json",
    "FeedProcessingFinishedNotification.json",
    "ReportProcessingFinishedNotification.json",
    "FulfillmentOrderStatusNotification.json",
)


def schema(name):
    if MODELS_DIR is None:
        pytest.skip("Amazon's models (shared/spapi-models) are not beside the checkout")
    loaded = json.loads((MODELS_DIR / name).read_text(encoding="utf-8"))
    loaded.pop("$id", None)
    return loaded


def read_or_refuse(body):
    try:
        notification = parse_notification(body)
    except PayloadError as error:
        assert str(error)
        return None
    assert notification.notification_id and notification.notification_type
    return notification


@pytest.mark.parametrize("name", SCHEMAS)
def test_any_notification_the_schema_allows_is_read_or_refused(name):
    @EXAMPLES
    @given(hypothesis_jsonschema.from_schema(schema(name)))
    def check(message):
        read_or_refuse(json.dumps(message))

    check()


@pytest.mark.parametrize("name", SCHEMAS)
def test_the_schemas_own_examples_read(name):
    for example in schema(name)["examples"]:
        notification = parse_notification(json.dumps(example))
        assert notification.notification_id == message_id(json.dumps(example))
        if name.startswith("OrderChange"):
            assert notification.order_ref == "903-8868176-2219830"
            assert notification.seller_ref == "A3TH9S8BH6GOGM"
            assert notification.change_type == "BuyerRequestedChange"


def _example(name):
    return schema(name)["examples"][0]


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda m: m["Payload"]["OrderChangeNotification"].pop("AmazonOrderId"), "AmazonOrderId"),
        (lambda m: m["Payload"].update(OrderChangeNotification=[1]), "OrderChangeNotification"),
        (lambda m: m["NotificationMetadata"].update(NotificationId=7), "NotificationId"),
        (lambda m: m["NotificationMetadata"].update(NotificationId="a\x00b"), "NotificationId"),
        (lambda m: m.pop("Payload"), "Payload"),
        (
            lambda m: m["Payload"]["OrderChangeNotification"].update(AmazonOrderId="x" * 500),
            "AmazonOrderId",
        ),
    ],
)
def test_a_broken_order_change_is_refused_naming_the_field(mutate, field):
    message = _example("OrderChangeNotification.json")
    mutate(message)
    with pytest.raises(PayloadError, match=field):
        parse_notification(json.dumps(message))


@given(
    st.one_of(
        st.text(max_size=50),
        st.binary(max_size=50).map(lambda b: b.decode("latin-1")),
        st.sampled_from(["[]", "null", "1", '{"NotificationType": 3}', "{" * 10000, "x" * 300000]),
    )
)
@EXAMPLES
def test_what_is_not_a_notification_is_refused(body):
    with pytest.raises(PayloadError):
        parse_notification(body)
