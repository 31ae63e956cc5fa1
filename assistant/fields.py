"""Request fields for text people type: cleaned where it enters (control characters, lone
surrogates and non-characters removed) before length limits are checked."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from nlu.normalize import clean_text

CleanStr = Annotated[str, BeforeValidator(clean_text)]
