"""The Partner Center customers REST client; it knows nothing of GraphQL or the app.

Implementation lives in private modules; this package exports the public interface. One
call, and the words for what it meets on the way:

    PartnerCenterClient                 one per process: the pool, the in-flight cap, retries
     ├── CallContext                    one operation's credentials, ids and locale (call.py)
     │    ├── Allowance                 what the operation may still send (allowance.py)
     │    └── AnswerReport              what the answer cache served it (answer_cache.py)
     ├── SharedState                    shared beyond the process (shared_state.py), on
     │                                  the wall and monotonic `Clocks` (clocks.py)
     │    ├── CachedGet                 a GET from the answer cache, from coalescing, or
     │    │                             sent (cached_get.py, coalescing.py)
     │    └── BucketGate                the partner's bucket, calls a minute (bucket.py),
     │                                  in-process or in Redis (redis_state.py)
     └── Wire                           one GET over HTTP: httpx's (`HttpxWire`), or one
                                        passed in (the speed layer's HttptoolsWire)

The failures, every one a `PartnerCenterError` (errors.py has the tree):

    PartnerCenterError
     ├── AllowanceSpent                 not sent: the operation's allowance is spent
     ├── BucketRefused                  not sent: the bucket would make it wait too long
     ├── UpstreamUnavailable            no answer (a wire's failure, after retries)
     │    └── UpstreamTimeout
     ├── UpstreamMalformedResponse      an answer that cannot be read
     └── UpstreamHTTPError              an error status: BadRequest (ContinuationTokenRejected),
                                        Unauthorized, Forbidden, NotFound, Throttled,
                                        ServerError (ServiceUnavailable)
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
from .allowance import Allowance, AllowanceSpent
from .answer_cache import AnswerReport, CachedAnswer
from .bucket import BucketRefused
from .call import CallContext
from .clocks import Clocks
from .errors import (
    BadRequest,
    ContinuationTokenRejected,
    Forbidden,
    NotFound,
    OperationDeadlineExceeded,
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
from .shared_state import SharedState
from .tracing import AttemptTrace, CallTracer

__all__ = [
    "DEFAULT_UPSTREAM",
    "MAX_CONTINUATION_TOKEN_LENGTH",
    "MAX_FILTER_VALUE_LENGTH",
    "MAX_PAGE_SIZE",
    "MIN_PAGE_SIZE",
    "Address",
    "Allowance",
    "AllowanceSpent",
    "AnswerReport",
    "AttemptTrace",
    "BadRequest",
    "BillingProfile",
    "BodyLimits",
    "BucketRefused",
    "CacheOutcome",
    "CachedAnswer",
    "CallContext",
    "CallTracer",
    "Clocks",
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
    "OperationDeadlineExceeded",
    "PartnerCenterClient",
    "PartnerCenterError",
    "RawResponse",
    "RelationshipToPartner",
    "ServerError",
    "ServiceUnavailable",
    "SharedState",
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
