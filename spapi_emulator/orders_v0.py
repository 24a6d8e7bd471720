"""Orders API v0: confirmShipment, the FBM package a seller confirms."""

from .common import Api, ApiError, invalid, parse_iso8601, route, utcnow
from .orders import Package


class ShipmentsStore:
    """The packages sellers confirm."""

    def __init__(self):
        super().__init__()
        pass

    def confirm_shipment(self, order, package_detail):
        """Record a package (a re-sent reference replaces the earlier one) and
        move the shipped quantities and the order status."""
        with self.lock:
            reference = str(package_detail["packageReferenceId"])
            package = Package(
                package_reference_id=reference,
                carrier_code=package_detail.get("carrierCode", ""),
                carrier_name=package_detail.get("carrierName", ""),
                shipping_method=package_detail.get("shippingMethod", ""),
                tracking_number=package_detail.get("trackingNumber", ""),
                ship_date=package_detail.get("shipDate", ""),
                items=[
                    {"orderItemId": i["orderItemId"], "quantity": int(i["quantity"])}
                    for i in package_detail["orderItems"]
                ],
                created_time=utcnow(),
            )
            previous = next(
                (p for p in order.packages if p.package_reference_id == reference), None
            )
            order.packages = [p for p in order.packages if p.package_reference_id != reference]
            order.packages.append(package)
            # quantity_shipped counts every unit that left, whichever way it was
            # confirmed: a re-sent package replaces its own units.
            change = {}
            for line in previous.items if previous else ():
                change[line["orderItemId"]] = change.get(line["orderItemId"], 0) - line["quantity"]
            for line in package.items:
                change[line["orderItemId"]] = change.get(line["orderItemId"], 0) + line["quantity"]
            for item in order.items:
                shipped = item.quantity_shipped + change.get(item.order_item_id, 0)
                item.quantity_shipped = max(0, min(item.quantity, shipped))
            self._shipped_status(order)
            return package


class OrdersV0Api(Api):
    """confirmShipment (Orders API v0)."""

    routes = [
        route(
            "POST",
            "/orders/v0/orders/(?P<order_id>[^/]+)/shipmentConfirmation",
            "confirmShipment",
            "confirm_shipment",
        ),
    ]

    def op_confirm_shipment(self, call, params, body, order_id):
        store = self.emulator.store
        if not isinstance(body, dict):
            raise invalid("The request body must be a JSON object.")
        order = store.orders.get(order_id)
        if order is None or order.seller_id != call.seller_id:
            raise ApiError(404, "NotFound", f"Order {order_id} not found.")
        # The order is confirmed in its own marketplace (ConfirmShipmentRequest
        # .marketplaceId), one the seller sells in.
        if body.get("marketplaceId") != order.marketplace_id:
            raise invalid("marketplaceId is missing or is not the order's marketplace.")
        package = body.get("packageDetail")
        if not isinstance(package, dict):
            raise invalid("packageDetail is required.")
        missing = [
            name
            for name in (
                "packageReferenceId",
                "carrierCode",
                "trackingNumber",
                "shipDate",
                "orderItems",
            )
            if not package.get(name)
        ]
        if missing:
            raise invalid(f"Missing required field(s): {', '.join(missing)}.")
        # PackageReferenceId: "A seller-supplied identifier that uniquely identifies a
        # package within the scope of an order. Only positive numeric values are
        # supported."
        reference = str(package["packageReferenceId"])
        if not reference.isdigit() or int(reference) <= 0:
            raise invalid("packageReferenceId must be a positive number.")
        # PackageDetail.carrierName: "Carrier name that will deliver the package.
        # Required when `carrierCode` is "Other""
        if package.get("carrierCode") == "Other" and not package.get("carrierName"):
            raise invalid('packageDetail/carrierName is required when carrierCode is "Other".')
        # PackageDetail.shipDate: "Must be in ISO 8601 date/time format."
        parse_iso8601("shipDate", package["shipDate"])
        if order.fulfilled_by != "MERCHANT":
            raise invalid("Shipments of orders fulfilled by Amazon cannot be confirmed.")
        if order.status in ("CANCELLED", "PENDING"):
            raise invalid(f"The order is {order.status} and cannot be shipped.")
        items = {item.order_item_id: item for item in order.items}
        previous = next((p for p in order.packages if p.package_reference_id == reference), None)
        # What left before this package, however it was confirmed (another
        # package, Seller Central, another tool): Amazon's quantityFulfilled,
        # less what a re-sent reference held. ItemFulfillment.quantityUnfulfilled
        # is "The number of units of this item that remain to be processed and
        # shipped": a package ships at most that.
        resent = {}
        for line in previous.items if previous else ():
            resent[line["orderItemId"]] = resent.get(line["orderItemId"], 0) + line["quantity"]
        already = {
            item.order_item_id: item.quantity_shipped - resent.get(item.order_item_id, 0)
            for item in order.items
        }
        for line in package["orderItems"]:
            item = items.get(line.get("orderItemId"))
            quantity = line.get("quantity")
            if item is None:
                raise invalid(f"Unknown orderItemId {line.get('orderItemId')!r}.")
            if not isinstance(quantity, int) or quantity <= 0:
                raise invalid("Each order item needs a positive quantity.")
            # A package ships what is left of the item: what was shipped before
            # (a re-sent reference replaces its own) plus this one never exceeds
            # the quantity ordered.
            if already.get(item.order_item_id, 0) + quantity > item.quantity:
                raise invalid(
                    f"Quantity {quantity} of order item {item.order_item_id} exceeds the "
                    "quantity left to ship."
                )
        store.confirm_shipment(order, package)
        return 204, None
