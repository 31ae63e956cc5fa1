"""The content model: 办事指南 (service guides) and 一件事 (bundles).

Rules that relate several fields (类型字母 vs 事项类型, 承诺 vs 法定时限, 免提交 needs an
e-licence, bundle links) are checked by ``knowledge.validation``, which can point at the
exact field.

These models are the editable content of one entry. Status and version are the
store's business (see ``knowledge.store``), not part of what an editor writes.
Field names are English; their Chinese meaning is in each field's description
and matches the national guide elements (GB/T 39046 / 实施清单要素).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nlu.normalize import clean_text

GUIDE_CODE_RE = re.compile(r"^\d{6}-\d{12}-(XK|QR|GG|JF|QT)-\d{3}-\d{2}$")
BUNDLE_CODE_RE = re.compile(r"^YJS-\d{6}-\d{3}$")


class GuideType(StrEnum):
    LICENSING = "行政许可"
    CONFIRMATION = "行政确认"
    PUBLIC_SERVICE = "公共服务"
    BENEFIT = "行政给付"
    OTHER = "其他"


TYPE_LETTERS: dict[GuideType, str] = {
    GuideType.LICENSING: "XK",
    GuideType.CONFIRMATION: "QR",
    GuideType.PUBLIC_SERVICE: "GG",
    GuideType.BENEFIT: "JF",
    GuideType.OTHER: "QT",
}


class Level(StrEnum):
    CITY = "市级"
    DISTRICT = "区级"
    STREET = "街道"


class MaterialForm(StrEnum):
    ORIGINAL = "原件"
    COPY = "复印件"
    ELECTRONIC = "电子"


class MaterialSource(StrEnum):
    APPLICANT = "申请人自备"
    GOVERNMENT = "政府部门核发"
    OTHER_ORG = "其他机构出具"


class OnlineDepth(StrEnum):
    """网办深度."""

    NONE = "不可网办"
    INFO = "网上咨询"
    PARTIAL = "部分网办"
    FULL = "全程网办"


class EntryStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


NonEmpty = Annotated[str, Field(min_length=1)]


class _Content(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _clean_text(cls, value):
        """Control characters never enter content (an XLSX export would refuse them)."""
        if isinstance(value, str):
            return clean_text(value)
        if isinstance(value, list):
            return [clean_text(v) if isinstance(v, str) else v for v in value]
        return value


class Material(_Content):
    """申请材料."""

    name: NonEmpty = Field(description="材料名称")
    forms: list[MaterialForm] = Field(
        default_factory=lambda: [MaterialForm.ORIGINAL], description="原件/复印件/电子"
    )
    copies: int = Field(default=1, ge=0, le=20, description="份数")
    required: bool = Field(default=True, description="必要 (false = 条件必要, see condition)")
    condition: str | None = Field(default=None, description="条件必要时的情形")
    source: MaterialSource = Field(default=MaterialSource.APPLICANT, description="来源渠道")
    exempt: bool = Field(default=False, description="免提交 (fetched from the 电子证照库)")
    e_licence: str | None = Field(default=None, description="免提交时对应的电子证照名称")
    can_defer: bool = Field(default=False, description="容缺: may be handed in later")
    note: str | None = Field(default=None, description="填报说明")


class Step(_Content):
    """办理流程中的一个环节."""

    name: NonEmpty
    description: str = ""
    days: int | None = Field(default=None, ge=0, description="本环节时限（工作日）")


class Hall(_Content):
    """办理地点."""

    name: NonEmpty
    district: NonEmpty = Field(description="所在区")
    street: str | None = Field(default=None, description="所在街道")
    address: NonEmpty
    hours: NonEmpty = Field(description="办理时间")
    phone: NonEmpty = Field(description="咨询电话")


class FAQ(_Content):
    question: NonEmpty
    answer: NonEmpty


class ServiceGuide(_Content):
    """办事指南: one item of the 实施清单."""

    code: NonEmpty = Field(description="实施编码")
    name: NonEmpty = Field(description="事项名称")
    aliases: list[NonEmpty] = Field(default_factory=list, description="别名/俗称")
    similar_questions: list[NonEmpty] = Field(default_factory=list, description="相似问")
    type: GuideType = Field(description="事项类型")
    department: NonEmpty = Field(description="实施主体")
    level: Level = Field(default=Level.DISTRICT, description="行使层级")
    regions: list[NonEmpty] = Field(default_factory=list, description="服务的区（空 = 全市）")
    summary: str = Field(default="", description="一句话说明")
    conditions: list[NonEmpty] = Field(default_factory=list, description="受理条件")
    materials: list[Material] = Field(default_factory=list, description="申请材料")
    steps: list[Step] = Field(default_factory=list, description="办理流程")
    legal_limit_days: int | None = Field(default=None, ge=0, description="法定办结时限（工作日）")
    promised_limit_days: int | None = Field(
        default=None, ge=0, description="承诺办结时限（工作日，0 = 即办）"
    )
    fee: str = Field(default="不收费", description="收费标准")
    halls: list[Hall] = Field(default_factory=list, description="办理地点")
    online_url: str | None = Field(default=None, description="网上办理入口")
    online_depth: OnlineDepth = Field(default=OnlineDepth.PARTIAL, description="网办深度")
    visits_needed: int = Field(default=1, ge=0, le=5, description="到现场次数")
    bookable: bool = Field(default=False, description="可预约")
    result: str | None = Field(default=None, description="办理结果（证照名称）")
    legal_basis: list[NonEmpty] = Field(default_factory=list, description="设定依据")
    faqs: list[FAQ] = Field(default_factory=list, description="常见问题")
    consult_phone: str | None = Field(default=None, description="咨询电话")
    complaint_phone: str | None = Field(default="12345", description="监督投诉电话")

    @field_validator("code")
    @classmethod
    def _code_shape(cls, value: str) -> str:
        if not GUIDE_CODE_RE.match(value):
            raise ValueError(
                "实施编码格式应为 6位区划-12位基本编码-类型字母-3位事项-2位子项，如 370199-000201001000-XK-001-01"
            )
        return value

    def search_texts(self) -> list[str]:
        """The short texts that stand for this guide in retrieval."""
        texts = [self.name, *self.aliases, *self.similar_questions, *(f.question for f in self.faqs)]
        return list(dict.fromkeys(t for t in texts if t))


class BundleOption(_Content):
    value: NonEmpty
    label: NonEmpty
    adds: list[NonEmpty] = Field(default_factory=list, description="选此项时加入的事项编码")
    removes: list[NonEmpty] = Field(default_factory=list, description="选此项时去掉的事项编码")


class BundleQuestion(_Content):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    text: NonEmpty
    answer_type: Literal["yes_no", "choice"] = "yes_no"
    options: list[BundleOption] = Field(min_length=2)
    default: str | None = Field(default=None, description="未回答时按此选项处理")


class BundleGuide(_Content):
    code: NonEmpty = Field(description="事项实施编码")
    stage: int = Field(default=1, ge=1, le=10, description="办理顺序：同一阶段的事项并联办理")
    optional: bool = Field(default=False, description="只有当某个回答加入它时才需要办理")
    note: str | None = None


class Bundle(_Content):
    """一件事: a life event that joins several guides into one application."""

    code: NonEmpty = Field(description="一件事编码")
    name: NonEmpty
    aliases: list[NonEmpty] = Field(default_factory=list)
    similar_questions: list[NonEmpty] = Field(default_factory=list)
    department: NonEmpty = Field(description="牵头部门")
    summary: str = ""
    questions: list[BundleQuestion] = Field(default_factory=list)
    guides: list[BundleGuide] = Field(min_length=2)
    single_window: NonEmpty = Field(description="综合受理窗口")
    online_entry: str | None = None
    promised_total_days: int | None = Field(default=None, ge=0, description="整体承诺时限（工作日）")

    @field_validator("code")
    @classmethod
    def _code_shape(cls, value: str) -> str:
        if not BUNDLE_CODE_RE.match(value):
            raise ValueError("一件事编码格式应为 YJS-6位区划-3位序号，如 YJS-370199-001")
        return value

    def search_texts(self) -> list[str]:
        texts = [self.name, *self.aliases, *self.similar_questions]
        return list(dict.fromkeys(t for t in texts if t))


Kind = Literal["guide", "bundle"]
Entry = ServiceGuide | Bundle


def kind_of(entry: Entry) -> Kind:
    return "guide" if isinstance(entry, ServiceGuide) else "bundle"


def model_for(kind: Kind) -> type[ServiceGuide] | type[Bundle]:
    return ServiceGuide if kind == "guide" else Bundle
