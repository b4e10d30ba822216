"""The `Customer` type: a Partner Center customer, resolved from a list summary or full record.

A customer reached through `customers` holds the list item (a summary). Fields the summary
lacks load the full record through the request's customer loader: one call per customer,
whatever the number of fields asked.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TypeVar

import strawberry

from .. import partner_center as pc
from ..speed.field_reads import type_check_without_info
from ._fields import AwaitableOrValue, described, then
from .context import RequestContext
from .demand import costs_an_upstream_call, costs_one_call_for_the_list
from .errors import upstream_error
from .inputs import customer_id
from .loaders import Loaders
from .node import Node
from .planning import customer_needs
from .profiles import BillingProfile, CompanyProfile

T = TypeVar("T")
Info = strawberry.Info[RequestContext, None]


@strawberry.enum(description="How the customer relates to the partner.")
class RelationshipToPartner(Enum):
    """`relationshipToPartner` of the REST API."""

    NONE = strawberry.enum_value("none", description="No relationship.")
    RESELLER = strawberry.enum_value("reseller", description="The partner resells to them.")
    ADVISOR = strawberry.enum_value("advisor", description="The partner is their advisor.")
    SYNDICATION = strawberry.enum_value("syndication", description="A syndication partner.")
    MICROSOFT_SUPPORT = strawberry.enum_value(
        "microsoft_support", description="Served through Microsoft support."
    )
    UNKNOWN = strawberry.enum_value("unknown", description="Partner Center does not say.")


@strawberry.federation.type(
    # The federation key is the raw Partner Center id: other subgraphs know customers by it.
    keys=["id"],
    description=(
        "A customer of the partner: a Microsoft Entra tenant. Fields Partner Center leaves out "
        "without delegated (GDAP) access are null, not errors."
    ),
)
class Customer(Node):
    """`Customer` of the REST API; `userCredentials` (a password) is never exposed."""

    id: strawberry.ID = strawberry.field(
        description="The Partner Center customer id: the customer's Microsoft Entra tenant GUID."
    )
    record: strawberry.Private[pc.Customer]

    # Strawberry's own check for a type with interfaces is the same `isinstance` (resolvers
    # here return `Customer` objects only); declaring it lets the executor skip the resolve
    # info Strawberry's would be passed, once per customer of a page.
    @classmethod
    @type_check_without_info
    def is_type_of(cls, obj: object, _info: object) -> bool:
        """True for a `Customer` object."""
        return isinstance(obj, cls)

    # The request's loaders, for the fields the record at hand lacks. Held here rather than
    # read from `info` so that the field resolvers take no `info`: graphql-core then builds
    # no resolve info per customer for them (the lean executor calls them directly). It stays
    # here, outside speed/, and on with SPEED_LAYER_OFF: stock graphql-core builds no info
    # for these resolvers either, so the saving is not the switchable layer's.
    loaders: strawberry.Private[Loaders]
    # The request's plan (planning.py) for a list summary: True when the summary holds every
    # company-profile field the operation asks for; when False the profile is served from
    # the full record, which the plan has the loaders fetch anyway.
    summary_suffices: strawberry.Private[bool] = True

    @classmethod
    def from_record(
        cls, record: pc.Customer, loaders: Loaders, *, summary_suffices: bool = True
    ) -> Customer:
        """The GraphQL customer for a summary or full REST record, served by `loaders`.

        `summary_suffices` is the plan's word for a summary; a customer whose record comes
        from `Loaders.known_customer` is a summary only when the plan said it suffices.
        """
        return cls(
            id=strawberry.ID(record.id),
            record=record,
            loaders=loaders,
            summary_suffices=summary_suffices,
        )

    @classmethod
    async def by_id(cls, info: Info, id: str) -> Customer:
        """The customer with this Partner Center id, through the request's loaders.

        A malformed id is BAD_USER_INPUT without an upstream call; an unknown one NOT_FOUND.
        A customer listed in the same request is its summary, unless the field asks for more
        than the summary holds: then its full record, which also carries the billing profile.
        """
        checked = customer_id(id)
        needs = customer_needs(info)
        try:
            record = await info.context.loaders.known_customer(
                checked, needs_full=needs.needs_full
            )
        except pc.NotFound as exc:
            raise upstream_error(exc, message=f"No customer has id {checked}.") from None
        return cls.from_record(record, info.context.loaders)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Customer:
        """The customer a gateway names by key in `_entities` (federation).

        Strawberry hands graphql-core one awaitable per representation and graphql-core
        gathers them, so the keys of one `_entities` call meet in one loader batch:
        de-duplicated, loaded concurrently under the client's in-flight cap. An unknown id
        fails its own entity (null with NOT_FOUND); the others still resolve.
        """
        return await cls.by_id(info, id)

    # Field resolvers are sync and return a plain value whenever the record at hand answers
    # (a list summary serves id, relationship, commerce id and the company profile's list
    # fields); only a load returns an awaitable. An async resolver would cost graphql-core a
    # coroutine and a task per field, per customer, even when nothing is loaded.
    def _full(self) -> AwaitableOrValue[pc.Customer]:
        if not self.record.is_summary:
            return self.record
        return self.loaders.customer.load(self.record.id)

    def _get(self, get: Callable[[pc.Customer], T | None]) -> AwaitableOrValue[T | None]:
        # A summary's missing field may exist in the full record; a full record's is absent.
        value = get(self.record)
        if value is None and self.record.is_summary:
            return then(self._full(), get)
        return value

    @described("The customer's commerce id.", graphql_type=str | None)
    def commerce_id(self) -> AwaitableOrValue[str | None]:
        return self._get(lambda r: r.commerce_id)

    @described(
        "How the customer relates to the partner.", graphql_type=RelationshipToPartner | None
    )
    def relationship_to_partner(self) -> AwaitableOrValue[RelationshipToPartner | None]:
        sent = self.record.relationship_as_sent
        if type(sent) is str:
            # Every list summary carries it, almost always in the documented spelling: one
            # lookup per customer, a page's hundreds without the tolerant reading's calls.
            member = _RELATIONSHIPS_AS_SENT.get(sent)
            if member is not None:
                return member
        value = self.record.relationship_to_partner  # any other spelling, read tolerantly
        if value is not None:
            return _RELATIONSHIPS[value]
        return then(self._get(lambda r: r.relationship_to_partner), _relationship)

    @described(
        "Whether the partner has delegated admin access to the customer's tenant.",
        graphql_type=bool | None,
        directives=costs_an_upstream_call(),
    )
    def allow_delegated_access(self) -> AwaitableOrValue[bool | None]:
        return then(self._full(), lambda r: r.allow_delegated_access)

    @described(
        "The indirect reseller associated with the customer, when an indirect "
        "provider set one.",
        graphql_type=str | None,
        directives=costs_an_upstream_call(),
    )
    def associated_partner_id(self) -> AwaitableOrValue[str | None]:
        return then(self._full(), lambda r: r.associated_partner_id)

    @described(
        "The customer's domains; null without delegated access.",
        graphql_type=list[str] | None,
        directives=costs_one_call_for_the_list(),
    )
    def custom_domains(self) -> AwaitableOrValue[list[str] | None]:
        return then(
            self._full(),
            lambda r: None if r.custom_domains is None else list(r.custom_domains),
        )

    # The profiles are served as the REST records themselves: `CompanyProfile`,
    # `BillingProfile` and `Address` name their fields as the records name their attributes
    # (profiles.py), so the fields read the record directly, where a copy of each profile
    # per customer would cost a page a hundred objects.
    @described(
        "The company profile: from the list result when it suffices, else from "
        "the customer's full record.",
        graphql_type=CompanyProfile | None,
    )
    def company_profile(self) -> AwaitableOrValue[pc.CompanyProfile | None]:
        record = self.record
        if not record.is_summary or (self.summary_suffices and record.company_profile is not None):
            return record.company_profile
        return then(self._full(), _company_profile)

    @described(
        "The billing profile: one upstream call per customer, batched per "
        "request, and none when the full customer record is loaded already.",
        graphql_type=BillingProfile | None,
        directives=costs_an_upstream_call(),
    )
    def billing_profile(self) -> AwaitableOrValue[pc.BillingProfile | None]:
        if not self.record.is_summary and self.record.billing_profile is not None:
            return self.record.billing_profile
        return self.loaders.billing_profile.load(self.record.id)


def _company_profile(record: pc.Customer) -> pc.CompanyProfile | None:
    return record.company_profile


# The GraphQL value of each REST value, by the members' shared names.
_RELATIONSHIPS: dict[pc.RelationshipToPartner, RelationshipToPartner] = {
    value: RelationshipToPartner[value.name] for value in pc.RelationshipToPartner
}


# The GraphQL value of each documented REST spelling.
_RELATIONSHIPS_AS_SENT: dict[str, RelationshipToPartner] = {
    value.value: member for value, member in _RELATIONSHIPS.items()
}


def _relationship(value: pc.RelationshipToPartner | None) -> RelationshipToPartner | None:
    return None if value is None else _RELATIONSHIPS[value]


__all__ = ["Customer", "RelationshipToPartner"]
