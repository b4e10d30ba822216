"""The Partner Center customers REST client; it knows nothing of GraphQL or the app.

Implementation lives in private modules; this package exports the public interface.
"""

from ._client import PartnerCenterClient
from ._filters import MAX_FILTER_VALUE_LENGTH
from ._httpx_wire import (
    BodyLimits,
    HttpxWire,
    Timeouts,
    Wire,
    environment_proxy,
    stock_transport,
    stock_wire,
    user_agent,
)
from ._responses import RawResponse
from ._validation import MAX_CONTINUATION_TOKEN_LENGTH, MAX_PAGE_SIZE, MIN_PAGE_SIZE, is_guid
from .allowance import CallBudget, CallBudgetExhausted
from .answer_cache import AnswerReport, CachedAnswer
from .bucket import RateLimited
from .call import CallContext
from .errors import (
    BadRequest,
    ContinuationTokenRejected,
    Forbidden,
    NotFound,
    PartnerCenterError,
    ServerError,
    ServiceUnavailable,
    Throttled,
    Unauthorized,
    UpstreamHTTPError,
    UpstreamMalformedResponse,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from .models import (
    Address,
    BillingProfile,
    CompanyProfile,
    Customer,
    CustomerFilter,
    CustomerPage,
    CustomerSearchField,
    NextLink,
    RelationshipToPartner,
)
from .observer import CacheOutcome, NullObserver, Observer
from .settings import DEFAULT_UPSTREAM, UpstreamSettings
from .shared_state import Sharing
from .tracing import AttemptTrace, CallTracer

__all__ = [
    "DEFAULT_UPSTREAM",
    "MAX_CONTINUATION_TOKEN_LENGTH",
    "MAX_FILTER_VALUE_LENGTH",
    "MAX_PAGE_SIZE",
    "MIN_PAGE_SIZE",
    "Address",
    "AnswerReport",
    "AttemptTrace",
    "BadRequest",
    "BillingProfile",
    "BodyLimits",
    "CacheOutcome",
    "CachedAnswer",
    "CallBudget",
    "CallBudgetExhausted",
    "CallContext",
    "CallTracer",
    "CompanyProfile",
    "ContinuationTokenRejected",
    "Customer",
    "CustomerFilter",
    "CustomerPage",
    "CustomerSearchField",
    "Forbidden",
    "HttpxWire",
    "NextLink",
    "NotFound",
    "NullObserver",
    "Observer",
    "PartnerCenterClient",
    "PartnerCenterError",
    "RateLimited",
    "RawResponse",
    "RelationshipToPartner",
    "ServerError",
    "ServiceUnavailable",
    "Sharing",
    "Throttled",
    "Timeouts",
    "Unauthorized",
    "UpstreamHTTPError",
    "UpstreamMalformedResponse",
    "UpstreamSettings",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "Wire",
    "environment_proxy",
    "is_guid",
    "stock_transport",
    "stock_wire",
    "user_agent",
]
