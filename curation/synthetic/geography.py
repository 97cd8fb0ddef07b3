"""Where and by whom the specimens were collected: sites, projects and process ids.

Sites reproduce Table A4 at full scale: 47 countries (Costa Rica above 62 % of records), 102
provinces, 1,650 coordinates with a heavy-tailed spread of records (the 70 busiest hold about
73 %), 8 records without a country, ~1.8 % without a province and ~0.04 % without coordinates.
Smaller exports subsample the full-scale sites' records (multivariate hypergeometric), like the
taxonomy.  Every site's records are split into BOLD projects of at most ~8,000 specimens; a
project has one code (``AACTA``), one year (the process id's ``-21`` suffix) and one collection
event, and numbers its specimens ``AACTA001-21``, ``AACTA002-21``, ...
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curation.synthetic import catalogue as cat
from curation.synthetic import names
from curation.synthetic.random import allocate, compose, lognormal_weights, stream

_SITE_SIGMA = 2.6
_PROJECT_SIZE = 8_000
_YEARS = np.array([2019, 2020, 2021, 2022, 2023])


@dataclass(frozen=True)
class Sites:
    country: np.ndarray  #: object, None for the site without a country
    iso2: np.ndarray  #: object
    province: np.ndarray  #: object, None when unknown
    province_id: np.ndarray  #: int64 (BCDM geoid)
    realm: np.ndarray  #: object
    lat: np.ndarray  #: float, NaN when unknown
    lon: np.ndarray  #: float
    elevation: np.ndarray  #: int64, -1 when unknown
    name: np.ndarray  #: object


@dataclass(frozen=True)
class Projects:
    code: np.ndarray  #: object
    year: np.ndarray  #: int64
    site: np.ndarray  #: int64
    size: np.ndarray  #: int64 specimens
    first_slot: np.ndarray  #: int64 slot of the project's specimen number 1
    start_day: np.ndarray  #: int64 day of the year the trap was set


def _sites(rng: np.random.Generator, population: int) -> tuple[Sites, np.ndarray]:
    """Full-scale sites and their records (summing to ``population``)."""
    scale = population / cat.N_FULL
    records = np.array([c.records for c in cat.COUNTRIES], dtype=np.int64)
    records = np.rint(records * scale).astype(np.int64)
    records[0] += population - round(cat.NO_COUNTRY_FULL * scale) - records.sum()
    per_country = allocate(
        cat.SITES_FULL,
        np.sqrt(records.astype(float)),
        np.array([max(1, len(c.provinces)) for c in cat.COUNTRIES]),
        records,
    )
    mass = compose(
        records, per_country, lognormal_weights(rng, int(per_country.sum()), _SITE_SIGMA)
    )
    country_of = np.repeat(np.arange(len(cat.COUNTRIES)), per_country)
    province_ids, province_names = _provinces(rng, country_of, per_country)
    countries = [cat.COUNTRIES[c] for c in country_of]
    lat = np.array([x.lat for x in countries]) + rng.normal(0, 1.0, len(countries))
    lon = np.array([x.lon for x in countries]) + rng.normal(0, 1.0, len(countries))
    elevation = rng.integers(5, 2500, size=len(countries))
    site_names = names.latin_words(rng, len(countries), endings=("",), capitalised=True)
    country = np.array([x.name for x in countries] + [None], dtype=object)
    iso2 = np.array([x.iso2 for x in countries] + [None], dtype=object)
    realm = np.array([x.realm for x in countries] + [None], dtype=object)
    province = np.array(province_names + [None], dtype=object)
    mass = np.append(mass, round(cat.NO_COUNTRY_FULL * scale))
    lat = np.append(np.round(lat, 4), np.nan)
    lon = np.append(np.round(lon, 4), np.nan)
    elevation = np.append(elevation, -1)
    # Sites without a province / without coordinates, until their records reach Table A4's.
    province[_greedy(rng, mass, cat.NO_PROVINCE_FULL * scale)] = None
    no_coord = _greedy(rng, mass, cat.NO_COORD_FULL * scale)
    lat[no_coord] = np.nan
    lon[no_coord] = np.nan
    sites = Sites(
        country=country,
        iso2=iso2,
        province=province,
        province_id=np.append(np.array(province_ids, dtype=np.int64), 0),
        realm=realm,
        lat=lat,
        lon=lon,
        elevation=elevation,
        name=np.array(
            [f"{n} {'Malaise' if i % 3 else 'Station'}" for i, n in enumerate(site_names)]
            + ["Unrecoverable"],
            dtype=object,
        ),
    )
    return sites, mass


def _provinces(
    rng: np.random.Generator, country_of: np.ndarray, per_country: np.ndarray
) -> tuple[list[int], list[str]]:
    """Each site's province (BCDM geoid and name): the first sites of a country cover every
    province once, the rest fall in random provinces."""
    rank_in_country = np.arange(len(country_of)) - np.repeat(
        np.cumsum(per_country) - per_country, per_country
    )
    province_ids, province_names = [], []
    for c, k in zip(country_of, rank_in_country, strict=True):
        provinces = cat.COUNTRIES[c].provinces
        p = k if k < len(provinces) else int(rng.integers(0, len(provinces)))
        province_names.append(provinces[p])
        province_ids.append(1000 + 17 * c + p)  # BCDM geoid: one per province
    return province_ids, province_names


def _greedy(rng: np.random.Generator, mass: np.ndarray, target: float) -> list[int]:
    """Random sites (the last, "no country", excluded) whose records add up to at most
    ``target``: each site that still fits, in a random order."""
    chosen, total = [], 0
    for site in rng.permutation(len(mass) - 1):
        if total + mass[site] <= target:
            chosen.append(site)
            total += mass[site]
    return chosen


def build(processids: int, seed: int) -> tuple[Sites, Projects]:
    """Sites and projects of an export of ``processids`` specimens (slots in project order)."""
    rng = stream(seed, "geography")
    population = max(processids, cat.N_FULL)
    sites, mass = _sites(rng, population)
    if processids < population:
        mass = rng.multivariate_hypergeometric(mass, processids, method="marginals")
    used = np.flatnonzero(mass > 0)
    parts = -(-mass[used] // _PROJECT_SIZE)
    size = compose(mass[used], parts, np.ones(int(parts.sum())))
    site = np.repeat(used, parts)
    # Projects appear in a random order in the export; specimens in number order within one.
    order = rng.permutation(len(size))
    size, site = size[order], site[order]
    codes = np.array(names.project_codes(rng, len(size)), dtype=object)
    first_slot = np.cumsum(size) - size
    return sites, Projects(
        code=codes,
        year=_YEARS[rng.integers(0, len(_YEARS), size=len(size))],
        site=site,
        size=size,
        first_slot=first_slot,
        start_day=rng.integers(1, 330, size=len(size)),
    )
