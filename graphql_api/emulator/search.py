"""Prefix search over the customers, case-insensitive, in upstream order."""

from __future__ import annotations

from functools import lru_cache

from graphql_api.emulator.data import Customer


class SearchIndex:
    """Answers `starts_with` filters on the four customer search fields."""

    def __init__(self, customers: tuple[Customer, ...]) -> None:
        self._customers = customers
        # casefold, not lower: "STRASSE" must find "Straße", as case-insensitive search should.
        self._keys: dict[str, tuple[str, ...]] = {
            "CompanyName": tuple(c.company_name.casefold() for c in customers),
            "Domain": tuple(c.domain.casefold() for c in customers),
            "IndirectReseller": tuple((c.indirect_reseller_id or "") for c in customers),
            "IndirectCloudSolutionProvider": tuple((c.indirect_csp_id or "") for c in customers),
        }
        # Each page of one walk asks for the same filter again; remember recent answers.
        self.select = lru_cache(maxsize=64)(self._select)

    def _select(self, field: str | None, value: str | None) -> tuple[Customer, ...]:
        if field is None or value is None:
            return self._customers
        prefix = value.casefold()
        keys = self._keys[field]
        return tuple(c for c, key in zip(self._customers, keys, strict=True)
                     if key and key.startswith(prefix))


__all__ = ["SearchIndex"]
