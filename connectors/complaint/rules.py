"""Classification, urgency, routing and deadlines of 12345 tickets, from ``data/rules.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from connectors.complaint.protocol import CATEGORIES
from nlu.normalize import normalize

DEFAULT_RULES = Path(__file__).parent / "data" / "rules.yaml"

URGENCIES = ("紧急", "一般")


@dataclass(frozen=True)
class Route:
    keywords: tuple[str, ...]
    department: str
    category: str | None = None
    district: str | None = None


@dataclass(frozen=True)
class TicketRules:
    categories: tuple[tuple[str, tuple[str, ...]], ...]
    default_category: str
    urgent_keywords: tuple[str, ...]
    routes: tuple[Route, ...]
    default_department: str
    city_level: dict[str, str]
    urgent_days: int
    category_days: dict[str, int]
    visit_after_days: int

    @classmethod
    def load(cls, path: Path = DEFAULT_RULES) -> TicketRules:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        try:
            categories = tuple(
                (c["name"], tuple(normalize(k) for k in c["keywords"])) for c in data["categories"]
            )
            for name, _ in categories:
                if name not in CATEGORIES:
                    raise ValueError(f"categories: 未知类别「{name}」，应为 {'/'.join(CATEGORIES)}")
            routes = tuple(
                Route(
                    tuple(normalize(k) for k in r["keywords"]),
                    r["department"],
                    r.get("category"),
                    r.get("district"),
                )
                for r in data["routing"]
            )
            dl = data["deadlines"]
            by_category = {k: int(v) for k, v in dl["by_category"].items()}
            missing = set(CATEGORIES) - set(by_category)
            if missing:
                raise ValueError(f"deadlines.by_category: 缺少 {'、'.join(sorted(missing))}")
            return cls(
                categories=categories,
                default_category=data["default_category"],
                urgent_keywords=tuple(normalize(k) for k in data["urgency"]["urgent_keywords"]),
                routes=routes,
                default_department=data["default_department"],
                city_level=dict(data.get("city_level") or {}),
                urgent_days=int(dl["urgent_days"]),
                category_days=by_category,
                visit_after_days=int(dl["visit_after_days"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{path}: 缺少或格式不对的字段 {exc}") from exc

    def classify(self, text: str) -> str:
        norm = normalize(text).replace(" ", "")
        for name, keywords in self.categories:
            if any(k in norm for k in keywords):
                return name
        return self.default_category

    def urgency(self, text: str) -> str:
        norm = normalize(text).replace(" ", "")
        return "紧急" if any(k in norm for k in self.urgent_keywords) else "一般"

    def route(self, text: str, category: str, district: str | None) -> str:
        norm = normalize(text).replace(" ", "")
        department = self.default_department
        for r in self.routes:
            if r.category and r.category != category:
                continue
            if r.district and r.district != district:
                continue
            if any(k in norm for k in r.keywords):
                department = r.department
                break
        if "{district}" in department:
            department = department.replace("{district}", district) if district else self._city(department)
        return department

    def _city(self, department: str) -> str:
        for placeholder, city in self.city_level.items():
            department = department.replace(placeholder, city)
        return department.replace("示例市公安分局", "示例市公安局").replace(
            "示例市生态环境分局", "示例市生态环境局"
        )

    def days_to_resolve(self, category: str, urgency: str) -> int:
        return self.urgent_days if urgency == "紧急" else self.category_days[category]
