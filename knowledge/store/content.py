"""ContentStore: every change is a new version; publishing is one transaction.

Status of an entry:
- ``draft``: never published (citizens do not see it);
- ``published``: ``published_version`` is what citizens see; a newer draft version may
  exist beside it (``latest_version > published_version``) until it is published;
- ``retired``: withdrawn; citizens no longer see it; it can be published again.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from foundation.db import session_factory
from knowledge.schema import Entry, EntryStatus, Kind, kind_of, model_for
from knowledge.store.errors import DuplicateEntryError, InvalidTransitionError, MissingEntryError
from knowledge.store.listeners import Listeners
from knowledge.store.tables import AuditRow, EntryRow, EntryVersionRow


@dataclass(frozen=True)
class VersionInfo:
    code: str
    version: int
    author: str
    note: str
    created_at: datetime
    published: bool = False


@dataclass(frozen=True)
class StoredEntry:
    kind: Kind
    code: str
    status: EntryStatus
    version: int
    latest_version: int
    published_version: int | None
    updated_at: datetime
    updated_by: str
    content: Entry


@dataclass(frozen=True)
class EntrySummary:
    kind: Kind
    code: str
    name: str
    department: str
    status: EntryStatus
    latest_version: int
    published_version: int | None
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class ChangeEvent:
    """Sent to listeners after a commit that changed what citizens see."""

    action: str  # publish | retire
    kind: Kind
    code: str
    content: Entry | None
    version: int | None = None  # the version published (None for a retire)
    remote: bool = False  # made by another worker, heard through ``ContentFollower``


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged)


def content_hash(entry: Entry) -> str:
    payload = json.dumps(entry.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


class ContentStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)
        self.listeners = Listeners()
        # what citizens see, kept between changes: read on every booking and district question,
        # re-read after a publish or retire (this worker's, or another's through the follower)
        self._published: dict[Kind | None, list[Entry]] = {}
        self._changes = 0  # a read that overlapped a change is not kept
        self._published_lock = threading.Lock()
        self.listeners.subscribe(self._forget_published, name="published content")  # before all others

    # -- listeners -------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[ChangeEvent], None], name: str | None = None) -> None:
        """Call ``listener`` after every committed publish or retire (e.g. to update the index);
        one that fails catches up later without holding up the others (``listeners.behind()``)."""
        self.listeners.subscribe(listener, name)

    def _notify(self, events: Iterable[ChangeEvent]) -> None:
        self.listeners.notify(events)

    # -- reads -----------------------------------------------------------------------------
    def get(self, code: str, *, published: bool = True, version: int | None = None) -> StoredEntry:
        """The published content (default), the latest draft (``published=False``) or a given version."""
        with self._sessions() as s:
            row = self._row(s, code)
            if version is None:
                if published:
                    if row.status != EntryStatus.PUBLISHED or row.published_version is None:
                        raise MissingEntryError(f"{code} 没有已发布的版本")
                    version = row.published_version
                else:
                    version = row.latest_version
            return self._stored(row, self._version_row(s, row, version))

    def history(self, code: str) -> list[VersionInfo]:
        with self._sessions() as s:
            row = self._row(s, code)
            return [
                VersionInfo(
                    code, v.version, v.author, v.note, v.created_at, v.version == row.published_version
                )
                for v in row.versions
            ]

    def find(
        self,
        *,
        kind: Kind | None = None,
        status: EntryStatus | None = None,
        department: str | None = None,
        text: str | None = None,
    ) -> list[EntrySummary]:
        stmt = select(EntryRow).order_by(EntryRow.kind.desc(), EntryRow.code)
        if kind:
            stmt = stmt.where(EntryRow.kind == kind)
        if status:
            stmt = stmt.where(EntryRow.status == status)
        if department:
            stmt = stmt.where(EntryRow.department == department)
        if text:
            stmt = stmt.where(or_(EntryRow.name.contains(text), EntryRow.code.contains(text)))
        with self._sessions() as s:
            return [self._summary(r) for r in s.scalars(stmt)]

    def published(self, kind: Kind | None = None) -> list[Entry]:
        """All content citizens can see now, in code order (kept until the next change is heard)."""
        with self._published_lock:
            kept, changes = self._published.get(kind), self._changes
        if kept is not None:
            return list(kept)
        entries = self._read_published(kind)
        with self._published_lock:
            if changes == self._changes:
                self._published[kind] = entries
        return list(entries)

    def _forget_published(self, _event: ChangeEvent) -> None:
        with self._published_lock:
            self._changes += 1
            self._published.clear()

    def _read_published(self, kind: Kind | None) -> list[Entry]:
        stmt = (
            select(EntryRow, EntryVersionRow)
            .join(EntryVersionRow, EntryVersionRow.entry_id == EntryRow.id)
            .where(EntryRow.status == EntryStatus.PUBLISHED)
            .where(EntryVersionRow.version == EntryRow.published_version)
            .order_by(EntryRow.code)
        )
        if kind:
            stmt = stmt.where(EntryRow.kind == kind)
        with self._sessions() as s:
            return [model_for(row.kind).model_validate(ver.content) for row, ver in s.execute(stmt)]

    def published_versions(self) -> dict[str, tuple[Kind, int]]:
        """code -> (kind, published version) of everything citizens see now (no content read)."""
        stmt = select(EntryRow.code, EntryRow.kind, EntryRow.published_version).where(
            EntryRow.status == EntryStatus.PUBLISHED
        )
        with self._sessions() as s:
            return {code: (kind, version) for code, kind, version in s.execute(stmt)}

    def count(self, kind: Kind | None = None, status: EntryStatus | None = None) -> int:
        stmt = select(func.count(EntryRow.id))
        if kind:
            stmt = stmt.where(EntryRow.kind == kind)
        if status:
            stmt = stmt.where(EntryRow.status == status)
        with self._sessions() as s:
            return int(s.scalar(stmt) or 0)

    def audit(self, code: str | None = None, limit: int = 100) -> list[dict]:
        stmt = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if code:
            stmt = stmt.where(AuditRow.code == code)
        with self._sessions() as s:
            return [r.as_dict() for r in s.scalars(stmt)]

    # -- writes ----------------------------------------------------------------------------
    def save(self, entry: Entry, *, author: str, note: str = "", publish: bool = False) -> StoredEntry:
        """Store ``entry`` as a new version (nothing happens if the content is unchanged)."""
        self.save_many([entry], author=author, note=note, publish=publish)
        return self.get(entry.code, published=False)

    def save_many(
        self, entries: Sequence[Entry], *, author: str, note: str = "", publish: bool = False
    ) -> ImportReport:
        """Save several entries in one transaction: all of them land, or none."""
        report = ImportReport()
        events: list[ChangeEvent] = []
        with self._sessions.begin() as s:
            for entry in entries:
                events.extend(self._save_one(s, entry, author, note, publish, report))
        self._notify(events)
        return report

    def publish(self, code: str, *, author: str, version: int | None = None, note: str = "") -> StoredEntry:
        with self._sessions.begin() as s:
            row = self._row(s, code, lock=True)
            version = version or row.latest_version
            ver = self._version_row(s, row, version)
            self._publish_row(s, row, ver, author, note)
            content = model_for(row.kind).model_validate(ver.content)
            event = ChangeEvent("publish", row.kind, code, content, ver.version)
        self._notify([event])
        return self.get(code)

    def retire(self, code: str, *, author: str, note: str = "") -> StoredEntry:
        with self._sessions.begin() as s:
            row = self._row(s, code, lock=True)
            if row.status == EntryStatus.RETIRED:
                raise InvalidTransitionError(f"{code} 已经下线")
            row.status = EntryStatus.RETIRED
            row.updated_at, row.updated_by = _now(), author
            self._audit(s, author, "retire", row, row.published_version, {"note": note})
            kind = row.kind
        self._notify([ChangeEvent("retire", kind, code, None)])
        return self.get(code, published=False)

    def restore(self, code: str, version: int, *, author: str, publish: bool = False) -> StoredEntry:
        """Bring back an earlier version's content as a new version (history stays linear)."""
        with self._sessions.begin() as s:
            row = self._row(s, code, lock=True)
            old = self._version_row(s, row, version)
            new = self._add_version(s, row, old.content, old.content_hash, author, f"恢复自版本 {version}")
            self._audit(s, author, "restore", row, new.version, {"from_version": version})
            event = None
            if publish:
                self._publish_row(s, row, new, author, f"恢复自版本 {version}")
                event = ChangeEvent(
                    "publish", row.kind, code, model_for(row.kind).model_validate(new.content), new.version
                )
        if event:
            self._notify([event])
        return self.get(code, published=False)

    # -- internals -------------------------------------------------------------------------
    def _save_one(
        self, s: Session, entry: Entry, author: str, note: str, publish: bool, report: ImportReport
    ) -> list[ChangeEvent]:
        kind = kind_of(entry)
        data = entry.model_dump(mode="json")
        digest = content_hash(entry)
        row = s.scalar(select(EntryRow).where(EntryRow.code == entry.code).with_for_update())
        clash = s.scalar(
            select(EntryRow.code).where(
                EntryRow.kind == kind, EntryRow.name == entry.name, EntryRow.code != entry.code
            )
        )
        if clash:
            raise DuplicateEntryError(f"名称「{entry.name}」已被 {clash} 使用")
        if row is None:
            now = _now()
            row = EntryRow(
                kind=kind,
                code=entry.code,
                name=entry.name,
                department=entry.department,
                status=EntryStatus.DRAFT,
                latest_version=0,
                published_version=None,
                created_at=now,
                updated_at=now,
                updated_by=author,
            )
            s.add(row)
            s.flush()
            ver = self._add_version(s, row, data, digest, author, note)
            self._audit(s, author, "create", row, ver.version, {"note": note})
            report.created.append(entry.code)
        else:
            if row.kind != kind:
                raise DuplicateEntryError(f"编码 {entry.code} 已被另一类条目使用")
            ver = self._version_row(s, row, row.latest_version)
            if ver.content_hash == digest:
                report.unchanged.append(entry.code)
            else:
                ver = self._add_version(s, row, data, digest, author, note)
                self._audit(s, author, "update", row, ver.version, {"note": note})
                report.updated.append(entry.code)
            row.name, row.department = entry.name, entry.department
        if publish and not (row.status == EntryStatus.PUBLISHED and row.published_version == ver.version):
            self._publish_row(s, row, ver, author, note)
            report.published.append(entry.code)
            return [ChangeEvent("publish", kind, entry.code, entry, ver.version)]
        return []

    def _add_version(
        self, s: Session, row: EntryRow, content: dict, digest: str, author: str, note: str
    ) -> EntryVersionRow:
        now = _now()
        ver = EntryVersionRow(
            entry_id=row.id,
            version=row.latest_version + 1,
            content=content,
            content_hash=digest,
            author=author,
            note=note,
            created_at=now,
        )
        s.add(ver)
        row.latest_version = ver.version
        row.updated_at, row.updated_by = now, author
        s.flush()
        return ver

    def _publish_row(self, s: Session, row: EntryRow, ver: EntryVersionRow, author: str, note: str) -> None:
        row.status = EntryStatus.PUBLISHED
        row.published_version = ver.version
        content = ver.content
        row.name, row.department = content["name"], content["department"]
        row.updated_at, row.updated_by = _now(), author
        self._audit(s, author, "publish", row, ver.version, {"note": note})

    @staticmethod
    def _audit(s: Session, actor: str, action: str, row: EntryRow, version: int | None, detail: dict) -> None:
        s.add(
            AuditRow(
                at=_now(),
                actor=actor,
                action=action,
                kind=row.kind,
                code=row.code,
                version=version,
                detail=detail,
            )
        )

    @staticmethod
    def _row(s: Session, code: str, lock: bool = False) -> EntryRow:
        stmt = select(EntryRow).where(EntryRow.code == code)
        if lock:
            stmt = stmt.with_for_update()
        row = s.scalar(stmt)
        if row is None:
            raise MissingEntryError(f"没有编码为 {code} 的条目")
        return row

    @staticmethod
    def _version_row(s: Session, row: EntryRow, version: int) -> EntryVersionRow:
        ver = s.scalar(
            select(EntryVersionRow).where(
                EntryVersionRow.entry_id == row.id, EntryVersionRow.version == version
            )
        )
        if ver is None:
            raise MissingEntryError(f"{row.code} 没有版本 {version}")
        return ver

    @staticmethod
    def _stored(row: EntryRow, ver: EntryVersionRow) -> StoredEntry:
        return StoredEntry(
            kind=row.kind,  # type: ignore[arg-type]
            code=row.code,
            status=EntryStatus(row.status),
            version=ver.version,
            latest_version=row.latest_version,
            published_version=row.published_version,
            updated_at=row.updated_at,
            updated_by=row.updated_by,
            content=model_for(row.kind).model_validate(ver.content),  # type: ignore[arg-type]
        )

    @staticmethod
    def _summary(row: EntryRow) -> EntrySummary:
        return EntrySummary(
            kind=row.kind,  # type: ignore[arg-type]
            code=row.code,
            name=row.name,
            department=row.department,
            status=EntryStatus(row.status),
            latest_version=row.latest_version,
            published_version=row.published_version,
            updated_at=row.updated_at,
            updated_by=row.updated_by,
        )
