"""`python -m alignment_faking.summary [PATH]`: write summary.json's JSON schema, generated from
its models, to PATH (default docs/summary.schema.json)."""

import sys
from pathlib import Path

from alignment_faking.summary.file import json_schema_text

target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/summary.schema.json")
target.write_text(json_schema_text(), encoding="utf-8")
print(f"wrote {target}")
