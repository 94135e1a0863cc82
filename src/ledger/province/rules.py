"""The province's cross-county rules, as Spark DataFrame plans (imported by the job only).

Every rule starts from the period's live payments of every county (``payments``: an
instruction in a batch that is not voided, pending or settled, joined to its recipient's
``id_key``) and returns rows of ``FINDING_COLUMNS``: the rule, the subject (an ``id_key``
or an ``account_key``), the counties involved (``county_a`` is the county the finding is
about first: the original enrolment, the listing county), the amount at risk in fen, and
``evidence``: JSON, one entry per county with its recipient key, instructions and amounts.

P01 same person (same ID) paid in two or more counties; at risk: what every county but
    the one of the earliest enrolment paid.
P02 one bank account receiving for people (distinct IDs) of two or more counties; at
    risk: everything paid into the account.
P03 death listed in one county's registry, paid in another county after the death month
    (the paying county's own list does not hold it: that is a county finding).
P04 near relative of another county's cadre paid without the relation filed.
P05 a person on another county's staff roster (财政供养) paid as a recipient.
    P03-P05 match the list entry by ID (``match: exact``) or, as P07 links two IDs, by
    one ``id_near`` value with the same name key and birth date (``match: near``).
P06 a staff salary account of another county receiving payments (exact account).
P07 the same person under two IDs (fuzzy linkage): same name and birth date, 17-digit
    bodies differing in one digit of the region code or sequence number, both paid; at
    risk: what the later enrolment paid.
"""

from typing import Any

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from ledger.province.rules_catalogue import FINDING_COLUMNS

__all__ = ["FINDING_COLUMNS", "all_rules"]


# The fields of each county's payment in the evidence.
PAID_FIELDS = (
    "county",
    "recipient_key",
    "instruction_id",
    "program",
    "township",
    "amount_fen",
    "status",
    "id_number",
)


def _paid_lines() -> Any:
    return F.sort_array(F.collect_set(F.struct(*PAID_FIELDS)))


def _county_evidence() -> Any:
    """One JSON list of the payments in the group, per county and recipient."""
    return F.to_json(_paid_lines())


def payments(tables: dict[str, DataFrame]) -> DataFrame:
    """The period's live payments of every county with the payee's identity."""
    live = tables["instructions"].where(
        (F.col("batch_state") != "voided") & F.col("status").isin("pending", "settled")
    )
    people = tables["recipients"].select(
        "county", "recipient_key", "id_key", "name_key", "birth_date", "id_number"
    )
    return live.join(people, ["county", "recipient_key"])


def first_months(tables: dict[str, DataFrame]) -> DataFrame:
    """Per county and person: the first month of any enrolment (who enrolled first)."""
    people = tables["recipients"].select("county", "recipient_key", "id_key")
    return (
        tables["enrolments"]
        .join(people, ["county", "recipient_key"])
        .groupBy("county", "id_key")
        .agg(F.min("start_month").alias("first_month"))
    )


def _finding(frame: DataFrame, rule: str) -> DataFrame:
    return frame.select(
        F.lit(rule).alias("rule"),
        "subject",
        "county_a",
        "county_b",
        "counties",
        F.col("amount_fen").cast("long").alias("amount_fen"),
        F.col("people").cast("long").alias("people"),
        "evidence",
    )


def duplicate_ids(paid: DataFrame, firsts: DataFrame) -> DataFrame:
    """P01."""
    per_county = paid.groupBy("county", "id_key").agg(F.sum("amount_fen").alias("county_fen"))
    multi = (
        per_county.groupBy("id_key")
        .agg(F.countDistinct("county").alias("n"))
        .where(F.col("n") >= 2)
        .select("id_key")
    )
    ranked = (
        per_county.join(multi, "id_key")
        .join(firsts, ["county", "id_key"], "left")
        .withColumn(
            "rank",
            F.row_number().over(
                Window.partitionBy("id_key").orderBy(
                    F.col("first_month").asc_nulls_last(), "county"
                )
            ),
        )
    )
    summary = ranked.groupBy("id_key").agg(
        F.sum(F.when(F.col("rank") > 1, F.col("county_fen")).otherwise(0)).alias("amount_fen"),
        F.min(F.when(F.col("rank") == 1, F.col("county"))).alias("county_a"),
        F.min(F.when(F.col("rank") == 2, F.col("county"))).alias("county_b"),
        F.array_join(F.sort_array(F.collect_set("county")), ",").alias("counties"),
    )
    evidence = (
        paid.join(multi, "id_key").groupBy("id_key").agg(_county_evidence().alias("evidence"))
    )
    return _finding(
        summary.join(evidence, "id_key")
        .withColumnRenamed("id_key", "subject")
        .withColumn("people", F.lit(1)),
        "P01",
    )


def shared_accounts(paid: DataFrame) -> DataFrame:
    """P02."""
    grouped = (
        paid.groupBy("account_key")
        .agg(
            F.countDistinct("county").alias("n_counties"),
            F.countDistinct("id_key").alias("people"),
            F.sum("amount_fen").alias("amount_fen"),
            F.sort_array(F.collect_set("county")).alias("set"),
            _county_evidence().alias("evidence"),
        )
        .where((F.col("n_counties") >= 2) & (F.col("people") >= 2))
    )
    return _finding(
        grouped.select(
            F.col("account_key").alias("subject"),
            F.col("set")[0].alias("county_a"),
            F.col("set")[1].alias("county_b"),
            F.array_join("set", ",").alias("counties"),
            "amount_fen",
            "people",
            "evidence",
        ),
        "P02",
    )


def paid_near(paid: DataFrame, tables: dict[str, DataFrame]) -> DataFrame:
    """The paid people's ``id_near`` exploded: one row per person and blanked position
    (``county``, ``id_key``, ``name_key``, ``birth_date``, ``near``), for P03-P05 and P07."""
    payees = paid.select("county", "id_key").distinct()
    return (
        tables["recipients"]
        .join(payees, ["county", "id_key"])
        .select("county", "id_key", "name_key", "birth_date", F.explode("id_near").alias("near"))
    )


def _entry(match: str, extra: list[str]) -> Any:
    return F.struct("list_county", F.lit(match).alias("match"), *extra).alias("entry")


def _near_hits(near: DataFrame, listed: DataFrame, extra: list[str]) -> DataFrame:
    """(paying county, payee, list entry) where the entry's ID is one digit (of
    NEAR_POSITIONS) from the payee's, with the same name key and birth date: the list's
    ``id_near`` exploded and joined to the payees' (a blocking join, no pairwise scan)."""
    entries = listed.where(F.col("name_key").isNotNull() & F.col("birth_date").isNotNull()).select(
        F.col("id_key").alias("list_id_key"),
        "name_key",
        "birth_date",
        F.explode("id_near").alias("near"),
        "list_county",
        *extra,
    )
    return (
        near.join(entries, ["near", "name_key", "birth_date"])
        .where(F.col("id_key") != F.col("list_id_key"))
        .select("county", "id_key", _entry("near", extra))
    )


def _paid_elsewhere(
    paid: DataFrame,
    listed: DataFrame,
    on: str,
    rule: str,
    extra: list[str],
    near: DataFrame | None = None,
) -> DataFrame:
    """Payments in a county other than the listing one (``listed`` has ``list_county``,
    ``on`` and the ``extra`` columns), one finding per paying county and person. With
    ``near`` (the payees' exploded ``id_near``; ``listed`` then has ``id_near``,
    ``name_key``, ``birth_date``) entries one digit off match too, as ``match: near``.
    The entries matched are gathered per person before the payments are summed, so a
    person listed twice (two imports, two counties) is not counted twice."""
    exact = (
        paid.select("county", "id_key", on)
        .distinct()
        .join(listed, on)
        .select("county", "id_key", _entry("exact", extra))
    )
    hits = exact if near is None else exact.unionByName(_near_hits(near, listed, extra))
    matched = (
        hits.where(F.col("county") != F.col("entry.list_county"))
        .groupBy("county", "id_key")
        .agg(
            F.sort_array(F.collect_set("entry")).alias("listed"),
            F.min("entry.list_county").alias("county_a"),
            F.array_join(F.sort_array(F.collect_set("entry.list_county")), ",").alias("listing"),
        )
    )
    grouped = (
        paid.join(matched.select("county", "id_key"), ["county", "id_key"])
        .groupBy("county", "id_key")
        .agg(F.sum("amount_fen").alias("amount_fen"), _paid_lines().alias("paid"))
        .join(matched, ["county", "id_key"])
    )
    return _finding(
        grouped.select(
            F.col("id_key").alias("subject"),
            "county_a",
            F.col("county").alias("county_b"),
            F.concat_ws(",", "listing", "county").alias("counties"),
            "amount_fen",
            F.lit(1).alias("people"),
            F.to_json(F.struct("listed", "paid")).alias("evidence"),
        ),
        rule,
    )


_LINKAGE = ["id_key", "id_near", "name_key", "birth_date"]


def deaths_elsewhere(
    paid: DataFrame, tables: dict[str, DataFrame], period_start: str, near: DataFrame | None = None
) -> DataFrame:
    """P03: deaths before the period's first day, paid in a county not listing them."""
    deaths = tables["deaths"].where(F.col("death_date") < F.lit(period_start).cast("date"))
    own = deaths.select("county", "id_key").distinct()
    listed = deaths.select(
        F.col("county").alias("list_county"),
        *_LINKAGE,
        "id_number",
        F.col("death_date").cast("string").alias("death_date"),
        "source",
        "row_no",
    )
    unknown = paid.join(own, ["county", "id_key"], "left_anti")
    extra = ["id_number", "death_date", "source", "row_no"]
    return _paid_elsewhere(unknown, listed, "id_key", "P03", extra, near)


def cadre_relatives(
    paid: DataFrame, tables: dict[str, DataFrame], near: DataFrame | None = None
) -> DataFrame:
    """P04."""
    listed = (
        tables["cadres"]
        .where(F.col("relative_id_key").isNotNull() & ~F.col("filed"))
        .select(
            F.col("county").alias("list_county"),
            *[F.col(f"relative_{c}").alias(c) for c in _LINKAGE],
            F.col("relative_id_number").alias("id_number"),
            "employer",
            "position",
            "relation",
            "row_no",
        )
    )
    extra = ["id_number", "employer", "position", "relation"]
    return _paid_elsewhere(paid, listed, "id_key", "P04", extra, near)


def staff_paid(
    paid: DataFrame, tables: dict[str, DataFrame], near: DataFrame | None = None
) -> DataFrame:
    """P05."""
    listed = tables["staff"].select(
        F.col("county").alias("list_county"), *_LINKAGE, "id_number", "employer", "row_no"
    )
    return _paid_elsewhere(paid, listed, "id_key", "P05", ["id_number", "employer", "row_no"], near)


def staff_accounts(paid: DataFrame, tables: dict[str, DataFrame]) -> DataFrame:
    """P06: one finding per paying county and payee whose account is a staff account
    (exact account match only)."""
    listed = tables["staff_accounts"].select(
        F.col("county").alias("list_county"),
        F.col("id_key").alias("staff_id_key"),
        "account_key",
    )
    return _paid_elsewhere(paid, listed, "account_key", "P06", ["staff_id_key"])


def two_ids(paid: DataFrame, near: DataFrame, firsts: DataFrame) -> DataFrame:
    """P07: pairs of paid people sharing name, birth date and one ``id_near`` value
    (``near``: ``paid_near``)."""
    a, b = near.alias("a"), near.alias("b")
    pairs = (
        a.join(
            b,
            (F.col("a.near") == F.col("b.near"))
            & (F.col("a.name_key") == F.col("b.name_key"))
            & (F.col("a.birth_date") == F.col("b.birth_date"))
            & (F.col("a.id_key") < F.col("b.id_key")),
        )
        .select(
            F.col("a.county").alias("county_1"),
            F.col("a.id_key").alias("id_1"),
            F.col("b.county").alias("county_2"),
            F.col("b.id_key").alias("id_2"),
        )
        .distinct()
        .withColumn("pair", F.concat_ws("~", "id_1", "id_2"))
    )
    sides = pairs.select(
        "pair", F.col("county_1").alias("county"), F.col("id_1").alias("id_key")
    ).unionByName(
        pairs.select("pair", F.col("county_2").alias("county"), F.col("id_2").alias("id_key"))
    )
    per_side = (
        sides.join(paid, ["county", "id_key"])
        .groupBy("pair", "county", "id_key")
        .agg(F.sum("amount_fen").alias("side_fen"))
        .join(firsts, ["county", "id_key"], "left")
        .withColumn(
            "rank",
            F.row_number().over(
                Window.partitionBy("pair").orderBy(
                    F.col("first_month").asc_nulls_last(), "county", "id_key"
                )
            ),
        )
    )
    summary = per_side.groupBy("pair").agg(
        F.sum(F.when(F.col("rank") > 1, F.col("side_fen")).otherwise(0)).alias("amount_fen"),
        F.min(F.when(F.col("rank") == 1, F.col("county"))).alias("county_a"),
        F.min(F.when(F.col("rank") == 2, F.col("county"))).alias("county_b"),
    )
    evidence = (
        sides.join(paid, ["county", "id_key"])
        .groupBy("pair")
        .agg(_county_evidence().alias("evidence"))
    )
    return _finding(
        summary.join(evidence, "pair").select(
            F.col("pair").alias("subject"),
            "county_a",
            "county_b",
            F.concat_ws(",", "county_a", "county_b").alias("counties"),
            "amount_fen",
            F.lit(2).alias("people"),
            "evidence",
        ),
        "P07",
    )


def all_rules(tables: dict[str, DataFrame], period_start: str) -> DataFrame:
    """Every rule's findings, one DataFrame."""
    paid = payments(tables).cache()
    firsts = first_months(tables).cache()
    near = paid_near(paid, tables).cache()
    parts = [
        duplicate_ids(paid, firsts),
        shared_accounts(paid),
        deaths_elsewhere(paid, tables, period_start, near),
        cadre_relatives(paid, tables, near),
        staff_paid(paid, tables, near),
        staff_accounts(paid, tables),
        two_ids(paid, near, firsts),
    ]
    result = parts[0]
    for part in parts[1:]:
        result = result.unionByName(part)
    return result
