"""Image messages: pull the image out of a message (ROS 2 CDR, ROS 1, Foxglove protobuf or
JSON) and say whether it is a good frame. All parsing is bounds-checked."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any, NamedTuple

from keystone_pipelines.validator.records import FormatError

# schema name -> (kind, layout); layouts: "ros" (sensor_msgs), "foxglove" (foxglove schemas)
IMAGE_SCHEMAS: dict[str, tuple[str, str]] = {
    "sensor_msgs/msg/CompressedImage": ("compressed", "ros"),
    "sensor_msgs/CompressedImage": ("compressed", "ros"),
    "sensor_msgs/msg/Image": ("raw", "ros"),
    "sensor_msgs/Image": ("raw", "ros"),
    "foxglove_msgs/msg/CompressedImage": ("compressed", "foxglove"),
    "foxglove_msgs/msg/RawImage": ("raw", "foxglove"),
    "foxglove.CompressedImage": ("compressed", "foxglove"),
    "foxglove.RawImage": ("raw", "foxglove"),
}
BYTES_PER_PIXEL = {
    **dict.fromkeys(("mono8", "8UC1", "8SC1", "bayer_rggb8", "bayer_bggr8", "bayer_gbrg8"), 1),
    **dict.fromkeys(("bayer_grbg8",), 1),
    **dict.fromkeys(("mono16", "16UC1", "16SC1", "yuv422", "uyvy", "yuyv", "yuv422_yuy2"), 2),
    **dict.fromkeys(("bayer_rggb16", "bayer_bggr16", "bayer_gbrg16", "bayer_grbg16"), 2),
    **dict.fromkeys(("rgb8", "bgr8", "8UC3", "8SC3"), 3),
    **dict.fromkeys(("rgba8", "bgra8", "8UC4", "32FC1", "32SC1"), 4),
    **dict.fromkeys(("rgb16", "bgr16", "16UC3"), 6),
    **dict.fromkeys(("rgba16", "bgra16", "16UC4", "64FC1"), 8),
    **dict.fromkeys(("32FC3",), 12),
}
DECODE_FLAG_NAME = "IMREAD_COLOR"


class ImageMsg(NamedTuple):
    kind: str  # "compressed" | "raw"
    data: bytes | memoryview
    fmt: str = ""  # compressed: "jpeg", "png"...; raw: the pixel encoding
    width: int = 0
    height: int = 0
    step: int = 0


class _Cdr:
    def __init__(self, buf: bytes | memoryview) -> None:
        if len(buf) < 4:
            raise FormatError("CDR message shorter than its header")
        self.buf, self.pos = memoryview(buf), 4
        self.end = "<" if buf[1] & 1 else ">"

    def _align(self, n: int) -> None:
        self.pos += -(self.pos - 4) % n

    def _get(self, fmt: str, size: int) -> int:
        self._align(size)
        if self.pos + size > len(self.buf):
            raise FormatError("CDR message ends early")
        self.pos += size
        return int(struct.unpack_from(self.end + fmt, self.buf, self.pos - size)[0])

    def u8(self) -> int:
        return self._get("B", 1)

    def u32(self) -> int:
        return self._get("I", 4)

    def blob(self) -> memoryview:
        n = self.u32()
        if n > len(self.buf) - self.pos:
            raise FormatError(f"CDR sequence of {n} bytes exceeds the message")
        self.pos += n
        return self.buf[self.pos - n : self.pos]

    def string(self) -> str:
        return bytes(self.blob()).rstrip(b"\x00").decode("utf-8", "replace")

    def header(self, ros1: bool) -> None:
        if ros1:
            self.u32()  # seq
        self.u32()
        self.u32()  # stamp
        self.string()  # frame_id


class _Ros1(_Cdr):
    """ROS 1 serialization: CDR-like but packed, little endian, no encapsulation header."""

    def __init__(self, buf: bytes | memoryview) -> None:
        self.buf, self.pos, self.end = memoryview(buf), 0, "<"

    def _align(self, n: int) -> None:
        pass


def _protobuf_fields(buf: bytes | memoryview) -> tuple[dict[int, int], dict[int, memoryview]]:
    """(varint fields, length-delimited fields) of a protobuf message, last value wins."""
    view, pos = memoryview(buf), 0
    ints: dict[int, int] = {}
    blobs: dict[int, memoryview] = {}

    def varint() -> int:
        nonlocal pos
        value = shift = 0
        while True:
            if pos >= len(view) or shift > 63:
                raise FormatError("bad protobuf varint")
            b = view[pos]
            pos += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value

    while pos < len(view):
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            ints[field] = varint()
        elif wire == 2:
            n = varint()
            if n > len(view) - pos:
                raise FormatError("protobuf field exceeds the message")
            blobs[field] = view[pos : pos + n]
            pos += n
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise FormatError(f"unsupported protobuf wire type {wire}")
    return ints, blobs


def extract(schema: str, encoding: str, data: bytes | memoryview) -> ImageMsg:
    kind, layout = IMAGE_SCHEMAS[schema]
    if encoding == "protobuf":
        # foxglove.CompressedImage: 2 data, 3 format; foxglove.RawImage: 2 width,
        # 3 height, 4 encoding, 5 step, 6 data.
        ints, blobs = _protobuf_fields(data)
        if kind == "compressed":
            return ImageMsg(kind, blobs.get(2, memoryview(b"")), _text(blobs.get(3)))
        return ImageMsg(
            kind,
            blobs.get(6, memoryview(b"")),
            _text(blobs.get(4)),
            ints.get(2, 0),
            ints.get(3, 0),
            ints.get(5, 0),
        )
    if encoding == "json":
        try:
            doc = json.loads(bytes(data))
            raw = base64.b64decode(doc.get("data", ""))
            if kind == "compressed":
                return ImageMsg(kind, raw, str(doc.get("format", "")))
            return ImageMsg(
                kind,
                raw,
                str(doc.get("encoding", "")),
                int(doc.get("width", 0)),
                int(doc.get("height", 0)),
                int(doc.get("step", 0)),
            )
        except (ValueError, TypeError, AttributeError) as exc:
            raise FormatError(f"JSON image message: {exc}") from exc
    if encoding not in ("cdr", "ros1"):
        raise FormatError(f"unsupported message encoding {encoding!r}")
    r = _Cdr(data) if encoding == "cdr" else _Ros1(data)
    if layout == "foxglove":
        r.u32()
        r.u32()  # timestamp
        r.string()  # frame_id
        if kind == "compressed":
            blob = r.blob()
            return ImageMsg(kind, blob, r.string())
        w, h, enc, step = r.u32(), r.u32(), r.string(), r.u32()
        return ImageMsg(kind, r.blob(), enc, w, h, step)
    r.header(ros1=encoding == "ros1")
    if kind == "compressed":
        fmt = r.string()
        return ImageMsg(kind, r.blob(), fmt)
    h, w, enc = r.u32(), r.u32(), r.string()
    r.u8()  # is_bigendian
    step = r.u32()
    return ImageMsg(kind, r.blob(), enc, w, h, step)


def _text(blob: memoryview | None) -> str:
    return bytes(blob or b"").decode("utf-8", "replace")


def check_frame(img: ImageMsg) -> str | None:
    """None for a good frame, else why it is not."""
    if img.kind == "raw":
        bpp = BYTES_PER_PIXEL.get(img.fmt)
        if bpp is None:
            return f"unknown raw encoding {img.fmt!r}"
        if img.width <= 0 or img.height <= 0:
            return f"bad size {img.width}x{img.height}"
        if img.step < img.width * bpp:
            return f"step {img.step} < width {img.width} x {bpp} bytes"
        if len(img.data) != img.height * img.step:
            return f"data is {len(img.data)} bytes, height x step = {img.height * img.step}"
        return None
    data = bytes(img.data)
    if not data:
        return "empty image data"
    if data[:2] == b"\xff\xd8" and data.rstrip(b"\x00")[-2:] != b"\xff\xd9":
        return "JPEG without end-of-image marker (truncated)"
    import cv2
    import numpy as np

    try:
        decoded = cv2.imdecode(np.frombuffer(data, np.uint8), getattr(cv2, DECODE_FLAG_NAME))
    except cv2.error as exc:
        return f"does not decode: {str(exc).strip().splitlines()[-1][:120]}"
    if decoded is None or decoded.size == 0:
        return f"does not decode ({img.fmt or 'unknown format'}, {len(data)} bytes)"
    return None


def thumbnail(img: ImageMsg, width: int = 192) -> Any:
    """A small BGR picture of a good frame for the inspector's contact sheet (None if the
    encoding has no simple picture); decoded at reduced size, so it is cheap."""
    import cv2
    import numpy as np

    if img.kind == "compressed":
        picture = cv2.imdecode(np.frombuffer(bytes(img.data), np.uint8), cv2.IMREAD_REDUCED_COLOR_4)
    else:
        channels = {"bgr8": 3, "rgb8": 3, "mono8": 1, "8UC1": 1, "8UC3": 3}.get(img.fmt)
        if channels is None or img.step != img.width * channels:
            return None
        picture = np.frombuffer(bytes(img.data), np.uint8).reshape(img.height, img.width, channels)
        if img.fmt == "rgb8":
            picture = picture[:, :, ::-1]
    if picture is None or picture.size == 0:
        return None
    scale = width / picture.shape[1]
    return cv2.resize(picture, (width, max(1, int(picture.shape[0] * scale))))
