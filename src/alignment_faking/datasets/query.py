"""The query record and a named set of queries."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Query:
    """One user request, asked in every tier under the same id."""

    id: str
    text: str
    category: str | None = None


@dataclass(frozen=True)
class QuerySet:
    """Queries with the name a run records as its dataset."""

    name: str
    queries: tuple[Query, ...]

    @cached_property
    def sha256(self) -> str:
        """A digest of the queries themselves (ids, texts, categories), whatever file held them."""
        rows = [[q.id, q.text, q.category] for q in self.queries]
        return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()

    def head(self, limit: int | None) -> QuerySet:
        """The first `limit` queries (all when None)."""
        if limit is None:
            return self
        if limit < 1:
            raise ValueError("limit must be at least 1")
        return QuerySet(self.name, self.queries[:limit])
