"""The label documents Buy Shipping answers (shipping.py): real, small files
in the formats of shippingV2's DocumentFormat (PDF, PNG, ZPL)."""

import struct
import zlib


def label_document(label, order, document_format):
    lines = [
        f"{label.carrier_id} {label.service_id}",
        f"Tracking {label.tracking_id}",
        f"Order {order.order_id}",
        (order.address.name if order.address else order.buyer_name) or "",
    ]
    if document_format == "PDF":
        return _pdf(lines)
    if document_format == "ZPL":
        fields = "".join(
            f"^FO40,{40 + 60 * i}^A0N,40,40^FD{text}^FS" for i, text in enumerate(lines)
        )
        return f"^XA{fields}^FO40,300^BCN,120,Y,N,N^FD{label.tracking_id}^FS^XZ".encode()
    return _png(lines)


def _pdf(lines):
    """A one-page 4x6-inch PDF with the lines in Helvetica."""

    def escape(text):
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text = "".join(
        f"BT /F1 14 Tf 24 {400 - 24 * i} Td ({escape(line)}) Tj ET\n"
        for i, line in enumerate(lines)
    ).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 432] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _png(lines):
    """A small white PNG (the emulator draws no text in it)."""
    width, height = 120, 180
    raw = b"".join(b"\x00" + b"\xff" * width for _ in range(height))

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
