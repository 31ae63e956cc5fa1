"""Reading and writing guides and bundles as YAML, CSV and XLSX, keeping where each value came from."""

from knowledge.formats.readers import ReadError, read_path
from knowledge.formats.records import RawRecord
from knowledge.formats.writers import write_path

__all__ = ["RawRecord", "ReadError", "read_path", "write_path"]
