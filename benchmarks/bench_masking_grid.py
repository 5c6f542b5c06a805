"""The cost of one masking decision over the territoires (`masking_grids.crossed_hidden`): what
a page pays once per month, family and warehouse generation (then cached,
`dashboard/views/partition.py`).

    python benchmarks/bench_masking_grid.py --db data/pilotage.duckdb --departement 2A \\
        --month 2026-06 --seuil 11 30 --repeat 3
    python benchmarks/bench_masking_grid.py --synthetique 120 400 --seuil 11 30

For each family of `masking_grids.GRIDS` and each threshold, the median time of a decision
on the warehouse's partition and on « each commune a territoire » (no territoires file),
and for the inscrits the same decision without the communes of residence (what adding
them costs). `--synthetique N...`: départements of N communes (seeded, skewed like real
ones: a few large, many tiny), each its own territoire (no territoires file), every
family of counts, timed « avant » (the former implementation kept as
`tests/masking_reference.py`, checked equal) and « après » (`--sans-reference`: after
only). Each decision is taken anew (the memo of decisions emptied). The figures read
from the warehouse are read once, outside the timing. Report `uptime` beside them.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines import indicators, masking, masking_grids, warehouse
from tests import masking_reference


def timed(family: str, whole: dict, parts: dict, limit: int, repeat: int) -> tuple[float, int]:
    """Median seconds of one decision, and how many cells it hides."""
    times, hidden = [], set()
    for _ in range(repeat):
        masking_grids.forget_decisions()
        start = time.perf_counter()
        hidden = masking_grids.crossed_hidden(family, whole, parts, limit)
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(hidden)


def without_communes(family: str, whole: dict, parts: dict, limit: int, repeat: int):
    """The inscrits' decision as it was before the communes of residence joined it."""
    saved = masking_grids.STOCK_GRIDS.pop("commune")
    try:
        return timed(family, whole, parts, limit, repeat)
    finally:
        masking_grids.STOCK_GRIDS["commune"] = saved


def report(label: str, family: str, whole: dict, parts: dict, limits, repeat: int) -> None:
    for limit in limits:
        seconds, n = timed(family, whole, parts, limit, repeat)
        line = f"{label:<28} {family:<13} seuil {limit:>3} : {seconds * 1000:8.1f} ms, {n} cases"
        if family == "stock":
            before, _ = without_communes(family, whole, parts, limit, repeat)
            line += f" (sans les communes : {before * 1000:.1f} ms)"
        print(line, flush=True)


def _split(n: int, codes, rng: random.Random) -> dict[str, int]:
    """n persons over codes, unevenly (a few codes hold most)."""
    weights = [rng.random() ** 3 for _ in codes]
    out = dict.fromkeys(codes, 0)
    for code in rng.choices(list(codes), weights, k=n):
        out[code] += 1
    return out


def _groups(n: int, groups, inner: str, rng: random.Random) -> dict:
    return {g: {inner: v} for g, v in _split(n, groups, rng).items()}


SEXES, AGES = ("F", "M"), ("moins_30", "30_49", "50_plus")
PARCOURS = ("social", "socio_pro", "professionnel")


def _commune_results(code: str, size: int, rng: random.Random) -> dict[str, dict]:
    """One commune's result of every family, for `size` inscrits."""
    decisions, flows = rng.randint(0, size // 8 + 1), rng.randint(0, size // 10 + 1)
    entrants, oriented = rng.randint(0, size // 10 + 1), rng.randint(0, size // 10 + 1)
    in_parcours = rng.randint(0, size)
    stock = {
        "categorie": _split(size, ("01", "02", "03", "04"), rng),
        "modalite": _split(size, ("RSA", "PPAE", "autre"), rng),
        "sexe": _split(size, SEXES, rng),
        "tranche_age": _split(size, AGES, rng),
        "axe": _split(size, ("emploi", "formation", "social", "sante"), rng),
        "structure_suivi": {"principale": _split(size, ("FT", "CD", "CCAS", "asso"), rng)},
        "commune": {code: size},
    }
    by_parcours = _split(decisions, PARCOURS, rng)
    orientations = {
        "orientations": by_parcours,
        "organisme_referent": _split(decisions, ("FT", "CD", "CCAS"), rng),
        "personnes_orientees": decisions,
        "par_sexe": {g: _split(v, PARCOURS, rng) for g, v in _split(decisions, SEXES, rng).items()},
        "par_tranche_age": {
            g: _split(v, PARCOURS, rng) for g, v in _split(decisions, AGES, rng).items()
        },
    }
    cessations = rng.randint(0, flows)
    flux = {
        "cessations": cessations,
        "cessations_motif": _split(cessations, ("emploi", "demenagement", "autre"), rng),
        "inscriptions": flows,
        "radiations": rng.randint(0, flows),
    }
    profile = {"par_sexe": SEXES, "par_tranche_age": AGES, "par_parcours": PARCOURS}
    return {
        "stock": stock,
        "orientations": orientations,
        "flux": flux,
        "delai_orientation": {
            "entrants": entrants,
            **{k: _groups(entrants, profile[k], "entrants", rng) for k in PROFILE_GROUPS},
        },
        "contrat": {
            "orientes": oriented,
            **{k: _groups(oriented, v, "orientes", rng) for k, v in profile.items()},
        },
        "intensite": {
            "heures_hebdo": {"personnes": in_parcours},
            **{k: _groups(in_parcours, v, "personnes", rng) for k, v in profile.items()},
        },
    }


PROFILE_GROUPS = masking_grids.PROFILE_GROUPS


def _added(a, b):
    """Two results added up, key by key (the département's from its communes')."""
    if isinstance(a, dict):
        return {k: _added(a.get(k, 0 if not isinstance(v, dict) else {}), v) for k, v in b.items()}
    return a + b


def synthetic(n: int, seed: int = 1) -> dict[str, tuple[dict, dict]]:
    """A département of n communes, each a territoire (no territoires file), with a skewed
    number of inscrits (Pareto: a few towns of thousands, many villages of a few):
    family -> (the département's result, each commune's)."""
    rng = random.Random(seed)
    out: dict[str, tuple[dict, dict]] = {f: ({}, {}) for f in masking_grids.GRIDS}
    for i in range(n):
        code = f"C{i:03d}"
        size = min(int(rng.paretovariate(1.1) * 2), 5000)
        for family, result in _commune_results(code, size, rng).items():
            whole, parts = out[family]
            parts[code] = result
            out[family] = (_added(whole, result), parts)
    return out


def before_after(label: str, data: dict, limits, repeat: int, reference: bool) -> None:
    """Per family and threshold: the former implementation's time, the fast one's."""
    for family, (whole, parts) in data.items():
        for limit in limits:
            after, n = timed(family, whole, parts, limit, repeat)
            line = f"{label:<28} {family:<17} seuil {limit:>3} : après {after * 1000:8.1f} ms"
            if reference:
                decision = masking_grids.crossed_hidden(family, whole, parts, limit)
                saved = masking.mask_grid
                masking.mask_grid = masking_reference.mask_grid
                try:
                    before, _ = timed(family, whole, parts, limit, 1)
                    same = masking_grids.crossed_hidden(family, whole, parts, limit) == decision
                finally:
                    masking.mask_grid = saved
                    masking_grids.forget_decisions()
                line += f", avant {before * 1000:9.1f} ms (x{before / max(after, 1e-9):.0f}"
                line += ", même décision)" if same else ", DÉCISION DIFFÉRENTE)"
            print(line + f", {n} cases", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--departement", default="2A")
    parser.add_argument("--month", default="2026-06")
    parser.add_argument("--seuil", type=int, nargs="+", default=[11, 30])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--synthetique", type=int, nargs="*", default=[])
    parser.add_argument("--sans-reference", action="store_true")
    args = parser.parse_args()
    for n in args.synthetique:
        label = f"synthétique, {n} communes"
        before_after(label, synthetic(n), args.seuil, args.repeat, not args.sans_reference)
    if args.synthetique:
        return
    con = warehouse.connect(str(args.db), access_mode="READ_ONLY")
    dep, month = args.departement, args.month
    known = indicators.communes_par_territoire(con, dep)
    communes = sorted(indicators.stock(con, dep, month)["commune"])
    for label, partition in (
        (f"{len(known)} territoires", known),
        (f"{len(communes)} communes-territoires", {c: (c,) for c in communes}),
    ):
        for family in masking_grids.GRIDS:
            read = getattr(indicators, family)
            whole = read(con, dep, month)
            parts = {t: read(con, dep, month, cs) for t, cs in partition.items()}
            report(label, family, whole, parts, args.seuil, args.repeat)


if __name__ == "__main__":
    main()
