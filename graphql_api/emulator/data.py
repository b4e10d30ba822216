"""Deterministic customer data for one seed: the emulator's whole world.

`generate(count, seed)` always builds the same customers, in the same order, for the same
arguments. Every random choice comes from one `random.Random(seed)`, and GUIDs are made
from its `getrandbits(128)`, so no run depends on the clock or the OS.
"""

from __future__ import annotations

import random
import re
import unicodedata
import uuid
from dataclasses import dataclass

# Names that must exist whatever the seed: the Partner Center docs' Contoso examples, and
# names whose characters (non-ASCII, quotes, &, %, +, /, #) exercise filter encoding.
SPECIAL_NAMES: tuple[str, ...] = (
    "Contoso",
    "Contoso Ltd",
    "Contoso Ltd.",
    "Contoso Pharmaceuticals",
    "Contoso Bank",
    "Contoso Electronics",
    "Fabrikam",
    "Wingtip Toys",
    "Northwind Traders",
    "Zürich Ärzte GmbH",
    "Café Crème SARL",
    'The "Quoted" Company & Sons',
    "100% Organic Farms & Co.",
    "A+B=C Labs #1",
    "Path/Slash Holdings",
    "O'Brien & Partners",
    "Ελληνικά Τρόφιμα Α.Ε.",  # noqa: RUF001 (Greek letters on purpose)
    "株式会社コントソ",
)

_FIRST = (
    "Adatum", "Adventure Works", "Alpine", "Aurora", "Atlas", "Beacon", "Bellows", "Blue Yonder",
    "Bright", "Cedar", "Cobalt", "Coho", "Consolidated", "Crystal", "Evergreen", "Falcon",
    "First Up", "Fourth Coffee", "Golden", "Granite", "Graphic", "Harbor", "Humongous", "Iron",
    "Juniper", "Lamna", "Lighthouse", "Litware", "Lucerne", "Maple", "Margie's", "Meridian",
    "Nod", "Nordic", "Olympia", "Orchid", "Pacific", "Prairie", "Proseware", "Quantum",
    "Red Oak", "Relecloud", "Sierra", "Silver", "Southridge", "Sterling", "Summit", "Sunrise",
    "Tailspin", "Tailwind", "Trey", "VanArsdel", "Wide World", "Willow", "Woodgrove", "Zenith",
    "Åland", "Bäckerei Müller", "Crème", "Façade", "Łódź", "Malmö", "München", "Søndergaard",
    "São Paulo", "Zürich",
)
_INDUSTRY = (
    "Airlines", "Analytics", "Architects", "Bank", "Brewing", "Clinic", "Consulting", "Dental",
    "Energy", "Farms", "Foods", "Healthcare", "Hotels", "Importers", "Insurance", "Labs",
    "Logistics", "Marine", "Motors", "Outfitters", "Pharmaceuticals", "Publishing", "Research",
    "Robotics", "Software", "Solutions", "Studios", "Systems", "Textiles", "Toys", "Traders",
    "Travel", "Video", "Winery", "Ärzte", "Bäckerei",
)
_SUFFIX = (
    "", "", "", "Ltd", "Ltd.", "Inc.", "LLC", "GmbH", "AG", "S.A.", "B.V.", "Pty Ltd", "AB",
    "Oy", "SARL", "K.K.", "plc", "& Co.", "Group", "Holdings",
)
_FIRST_NAMES = (
    "Amelia", "Ana", "Ben", "Chloé", "Daniel", "Elif", "Emma", "Felix", "Hannah", "Hiro",
    "Isabel", "Jonas", "José", "Julia", "Kenji", "Lars", "Léa", "Lukas", "Maria", "Mei",
    "Noah", "Olivia", "Priya", "Rahul", "Sofia", "Søren", "Thomas", "Yuki", "Zoë",
)
_LAST_NAMES = (
    "Andersson", "Bauer", "Brown", "Costa", "Dubois", "García", "Hansen", "Ito", "Jansen",
    "Kowalski", "Larsen", "Martin", "Müller", "Nakamura", "Nguyen", "O'Neil", "Patel",
    "Rossi", "Schmidt", "Silva", "Smith", "Suzuki", "Wagner", "Weiß", "Williams",
    "Yılmaz",  # noqa: RUF001 (Turkish dotless i on purpose)
)


@dataclass(frozen=True, slots=True)
class _Country:
    code: str
    culture: str
    language: str
    phone_prefix: str
    # (city, state or region code, postal-code pattern with '9' for a digit)
    cities: tuple[tuple[str, str, str], ...]
    streets: tuple[str, ...]


_COUNTRIES = (
    _Country("US", "en-US", "en", "+1 425", (
        ("Redmond", "WA", "99999"), ("Seattle", "WA", "99999"), ("Austin", "TX", "99999"),
        ("New York", "NY", "99999"), ("San Francisco", "CA", "99999"),
        ("Chicago", "IL", "99999"),
    ), ("Microsoft Way", "Main Street", "Pine Street", "Market Street", "Oak Avenue")),
    _Country("GB", "en-GB", "en", "+44 20", (
        ("London", "", "AA9 9AA"), ("Manchester", "", "M9 9AA"), ("Edinburgh", "", "EH9 9AA"),
    ), ("High Street", "Station Road", "King's Road", "Victoria Street")),
    _Country("DE", "de-DE", "de", "+49 89", (
        ("München", "BY", "99999"), ("Berlin", "BE", "99999"), ("Köln", "NW", "99999"),
        ("Düsseldorf", "NW", "99999"),
    ), ("Hauptstraße", "Bahnhofstraße", "Schloßallee", "Königsallee")),
    _Country("CH", "de-CH", "de", "+41 44", (
        ("Zürich", "ZH", "9999"), ("Genève", "GE", "9999"), ("Basel", "BS", "9999"),
    ), ("Bahnhofstrasse", "Rue du Rhône", "Seestrasse")),
    _Country("FR", "fr-FR", "fr", "+33 1", (
        ("Paris", "", "99999"), ("Lyon", "", "99999"), ("Marseille", "", "99999"),
    ), ("Rue de Rivoli", "Avenue des Champs-Élysées", "Boulevard Saint-Germain")),
    _Country("NL", "nl-NL", "nl", "+31 20", (
        ("Amsterdam", "NH", "9999 AA"), ("Rotterdam", "ZH", "9999 AA"),
    ), ("Damrak", "Keizersgracht", "Coolsingel")),
    _Country("SE", "sv-SE", "sv", "+46 8", (
        ("Stockholm", "", "999 99"), ("Malmö", "", "999 99"), ("Göteborg", "", "999 99"),
    ), ("Drottninggatan", "Storgatan", "Kungsgatan")),
    _Country("JP", "ja-JP", "ja", "+81 3", (
        ("東京都", "", "999-9999"), ("Osaka", "", "999-9999"),
    ), ("Chiyoda 1-1", "Minato 2-3", "Shibuya 4-5")),
    _Country("AU", "en-AU", "en", "+61 2", (
        ("Sydney", "NSW", "9999"), ("Melbourne", "VIC", "9999"),
    ), ("George Street", "Collins Street", "Queen Street")),
    _Country("BR", "pt-BR", "pt", "+55 11", (
        ("São Paulo", "SP", "99999-999"), ("Rio de Janeiro", "RJ", "99999-999"),
    ), ("Avenida Paulista", "Rua Oscar Freire", "Avenida Atlântica")),
)

_TLD = {"US": "com", "GB": "co.uk", "DE": "de", "CH": "ch", "FR": "fr", "NL": "nl",
        "SE": "se", "JP": "jp", "AU": "com.au", "BR": "com.br"}


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address, as Partner Center's Address resource describes one."""

    country: str
    region: str
    city: str
    state: str
    address_line1: str
    address_line2: str
    postal_code: str
    first_name: str
    last_name: str
    phone_number: str


@dataclass(frozen=True, slots=True)
class BillingProfile:
    """A customer's billing profile."""

    id: str
    first_name: str
    last_name: str
    email: str
    culture: str
    language: str
    company_name: str
    default_address: Address
    etag: str


@dataclass(frozen=True, slots=True)
class Partner:
    """An indirect reseller or indirect CSP some customers are associated with."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Customer:
    """One customer tenant with everything any route may show of it."""

    id: str
    commerce_id: str
    company_name: str
    domain: str
    relationship: str
    # False when the partner has neither DAP nor GDAP on the tenant: Partner Center then
    # hides the company address, email and custom domains.
    delegated_access: bool
    indirect_reseller_id: str | None
    indirect_csp_id: str | None
    custom_domains: tuple[str, ...]
    company_email: str
    company_address: Address
    organization_registration_number: str | None
    billing: BillingProfile
    # Present only so tests can prove the client never passes it on.
    user_name: str
    password: str


@dataclass(frozen=True, slots=True)
class Dataset:
    """All customers in upstream order, plus the partners they may be associated with."""

    customers: tuple[Customer, ...]
    indirect_resellers: tuple[Partner, ...]
    indirect_csps: tuple[Partner, ...]

    def by_id(self) -> dict[str, Customer]:
        """Customers keyed by their lower-case id."""
        return {customer.id: customer for customer in self.customers}


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def slug(name: str) -> str:
    """The ASCII, lower-case, alphanumeric form of a name, as tenant prefixes are made."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def _company_names(count: int, rng: random.Random) -> list[str]:
    names = list(SPECIAL_NAMES[:count])
    seen = set(names)
    while len(names) < count:
        suffix = rng.choice(_SUFFIX)
        name = f"{rng.choice(_FIRST)} {rng.choice(_INDUSTRY)}"
        name = f"{name} {suffix}" if suffix else name
        if name in seen:
            # The word lists give tens of thousands of names; past that, number them.
            name = f"{name} {len(names) + 1}"
        seen.add(name)
        names.append(name)
    rng.shuffle(names)
    return names


def _unique_prefix(name: str, taken: set[str]) -> str:
    # Initial-domain prefixes are at most 27 characters and unique across tenants.
    base = (slug(name) or "tenant")[:27]
    prefix, counter = base, 1
    while prefix in taken:
        counter += 1
        tail = str(counter)
        prefix = base[: 27 - len(tail)] + tail
    taken.add(prefix)
    return prefix


def _pattern(pattern: str, rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPRSTUWXYZ"
    return "".join(
        str(rng.randrange(10)) if ch == "9" else rng.choice(letters) if ch == "A" else ch
        for ch in pattern
    )


def _address(rng: random.Random, country: _Country, first: str, last: str) -> Address:
    city, state, postal = rng.choice(country.cities)
    return Address(
        country=country.code,
        region=state,
        city=city,
        state=state,
        address_line1=f"{rng.randrange(1, 400)} {rng.choice(country.streets)}",
        address_line2=rng.choice(("", "", f"Suite {rng.randrange(100, 999)}", "Floor 2")),
        postal_code=_pattern(postal, rng),
        first_name=first,
        last_name=last,
        phone_number=f"{country.phone_prefix} {rng.randrange(1000000, 9999999)}",
    )


def _partners(rng: random.Random, names: tuple[str, ...]) -> tuple[Partner, ...]:
    return tuple(Partner(id=_guid(rng), name=name) for name in names)


def generate(count: int, seed: int) -> Dataset:
    """Build `count` customers for `seed`; the same arguments always give the same data."""
    if count < 0:
        raise ValueError("count must be >= 0")
    rng = random.Random(seed)  # noqa: S311 (reproducible data, not secrets)
    csps = _partners(rng, ("Tailspin Distribution", "Wide World Distributors", "Lamna CSP"))
    resellers = _partners(
        rng,
        ("Alpine Resellers", "Bellows IT", "Cobalt Partners", "Datum Channel", "Evergreen MSP",
         "Fourth Coffee IT"),
    )
    # Each indirect reseller buys through one indirect CSP.
    reseller_csp = {r.id: csps[i % len(csps)].id for i, r in enumerate(resellers)}
    taken: set[str] = set()
    customers: list[Customer] = []
    for name in _company_names(count, rng):
        customers.append(_customer(rng, name, taken, resellers, reseller_csp))
    return Dataset(tuple(customers), resellers, csps)


def _customer(
    rng: random.Random,
    name: str,
    taken: set[str],
    resellers: tuple[Partner, ...],
    reseller_csp: dict[str, str],
) -> Customer:
    customer_id = _guid(rng)
    prefix = _unique_prefix(name, taken)
    country = rng.choice(_COUNTRIES)
    tld = _TLD[country.code]
    roll = rng.random()
    relationship = "reseller" if roll < 0.86 else "advisor" if roll < 0.95 else "none"
    reseller = rng.choice(resellers) if relationship == "reseller" and rng.random() < 0.3 else None
    delegated = rng.random() < 0.8
    custom_count = rng.choice((0, 1, 1, 2))
    custom = tuple(
        f"{prefix}.{tld}" if i == 0 else f"{prefix}-{i}.com" for i in range(custom_count)
    )
    contact_first, contact_last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
    email_user = slug(contact_first) + "." + (slug(contact_last) or "contact")
    mail_domain = custom[0] if custom else f"{prefix}.onmicrosoft.com"
    billing = BillingProfile(
        id=_guid(rng),
        first_name=contact_first,
        last_name=contact_last,
        email=f"{email_user}@{mail_domain}",
        culture=country.culture,
        language=country.language,
        company_name=name,
        default_address=_address(rng, country, contact_first, contact_last),
        # Partner Center etags are opaque strings; a signed 32-bit number looks the part.
        etag=str(rng.randrange(-(2**31), 2**31)),
    )
    return Customer(
        id=customer_id,
        commerce_id=_guid(rng),
        company_name=name,
        domain=f"{prefix}.onmicrosoft.com",
        relationship=relationship,
        delegated_access=delegated,
        indirect_reseller_id=reseller.id if reseller else None,
        indirect_csp_id=reseller_csp[reseller.id] if reseller else None,
        custom_domains=custom,
        company_email=f"admin@{mail_domain}",
        company_address=_address(rng, country, contact_first, contact_last),
        organization_registration_number=(
            str(rng.randrange(10**8, 10**9)) if rng.random() < 0.3 else None
        ),
        billing=billing,
        user_name=f"admin@{prefix}.onmicrosoft.com",
        password=f"Emu-{rng.getrandbits(64):016x}!",
    )


__all__ = [
    "SPECIAL_NAMES",
    "Address",
    "BillingProfile",
    "Customer",
    "Dataset",
    "Partner",
    "generate",
    "slug",
]
