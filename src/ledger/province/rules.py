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
P06 a staff salary account of another county receiving payments.
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


def _paid_elsewhere(
    paid: DataFrame, listed: DataFrame, on: Any, rule: str, extra: list[str]
) -> DataFrame:
    """Payments in a county other than the listing one (``listed`` has ``list_county``
    and the ``extra`` columns), one finding per paying county and person."""
    hits = paid.join(listed, on).where(F.col("county") != F.col("list_county"))
    grouped = hits.groupBy("county", "id_key").agg(
        F.sum("amount_fen").alias("amount_fen"),
        F.min("list_county").alias("county_a"),
        F.to_json(
            F.struct(
                F.sort_array(F.collect_set(F.struct("list_county", *extra))).alias("listed"),
                _paid_lines().alias("paid"),
            )
        ).alias("evidence"),
        F.array_join(F.sort_array(F.array_distinct(F.collect_list("list_county"))), ",").alias(
            "listing"
        ),
    )
    return _finding(
        grouped.select(
            F.col("id_key").alias("subject"),
            "county_a",
            F.col("county").alias("county_b"),
            F.concat_ws(",", "listing", "county").alias("counties"),
            "amount_fen",
            F.lit(1).alias("people"),
            "evidence",
        ),
        rule,
    )


def deaths_elsewhere(paid: DataFrame, tables: dict[str, DataFrame], period_start: str) -> DataFrame:
    """P03: deaths before the period's first day, paid in a county not listing them."""
    deaths = tables["deaths"].where(F.col("death_date") < F.lit(period_start).cast("date"))
    own = deaths.select("county", "id_key").distinct()
    listed = deaths.select(
        F.col("county").alias("list_county"),
        "id_key",
        F.col("death_date").cast("string").alias("death_date"),
        "source",
        "row_no",
    )
    unknown = paid.join(own, ["county", "id_key"], "left_anti")
    return _paid_elsewhere(unknown, listed, "id_key", "P03", ["death_date", "source", "row_no"])


def cadre_relatives(paid: DataFrame, tables: dict[str, DataFrame]) -> DataFrame:
    """P04."""
    listed = (
        tables["cadres"]
        .where(F.col("relative_id_key").isNotNull() & ~F.col("filed"))
        .select(
            F.col("county").alias("list_county"),
            F.col("relative_id_key").alias("id_key"),
            "employer",
            "position",
            "relation",
            "row_no",
        )
    )
    return _paid_elsewhere(paid, listed, "id_key", "P04", ["employer", "position", "relation"])


def staff_paid(paid: DataFrame, tables: dict[str, DataFrame]) -> DataFrame:
    """P05."""
    listed = tables["staff"].select(
        F.col("county").alias("list_county"), "id_key", "employer", "row_no"
    )
    return _paid_elsewhere(paid, listed, "id_key", "P05", ["employer", "row_no"])


def staff_accounts(paid: DataFrame, tables: dict[str, DataFrame]) -> DataFrame:
    """P06: one finding per paying county and payee whose account is a staff account."""
    listed = tables["staff_accounts"].select(
        F.col("county").alias("list_county"),
        F.col("id_key").alias("staff_id_key"),
        "account_key",
    )
    return _paid_elsewhere(paid, listed, "account_key", "P06", ["staff_id_key"])


def two_ids(paid: DataFrame, tables: dict[str, DataFrame], firsts: DataFrame) -> DataFrame:
    """P07: pairs of paid people sharing name, birth date and one ``id_near`` value."""
    payees = paid.select("county", "id_key").distinct()
    near = (
        tables["recipients"]
        .join(payees, ["county", "id_key"])
        .select("county", "id_key", "name_key", "birth_date", F.explode("id_near").alias("near"))
    )
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
    parts = [
        duplicate_ids(paid, firsts),
        shared_accounts(paid),
        deaths_elsewhere(paid, tables, period_start),
        cadre_relatives(paid, tables),
        staff_paid(paid, tables),
        staff_accounts(paid, tables),
        two_ids(paid, tables, firsts),
    ]
    result = parts[0]
    for part in parts[1:]:
        result = result.unionByName(part)
    return result
