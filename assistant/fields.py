"""Request fields for text people type: cleaned where it enters (control characters, lone
surrogates and non-characters removed) before length limits are checked."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BeforeValidator

from nlu.normalize import clean_text

CleanStr = Annotated[str, BeforeValidator(clean_text)]

# Database integers (ids, versions): a 20-digit number overflowed SQLite/PostgreSQL into a 500
DB_INT_MAX = 2_147_483_647
RowId = Annotated[int, Path(ge=1, le=DB_INT_MAX, description="编号")]
