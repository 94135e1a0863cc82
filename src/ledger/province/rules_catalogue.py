"""The province rules' ids, titles (zh, en) and the columns of a finding; no Spark here,
so reports and imports read them without loading pyspark."""

FINDING_COLUMNS = [
    "rule",
    "subject",
    "county_a",
    "county_b",
    "counties",
    "amount_fen",
    "people",
    "evidence",
]

RULE_TITLES = {
    "P01": ("跨县重复享受", "Same ID paid in two counties"),
    "P02": ("跨县共用账户", "One account receiving for people of several counties"),
    "P03": ("他县已登记死亡仍发放", "Death listed in another county, still paid"),
    "P04": ("他县干部近亲属未备案享受", "Unfiled near relative of another county's cadre"),
    "P05": ("他县财政供养人员享受", "Staff of another county paid as a recipient"),
    "P06": ("他县工作人员工资账户收款", "Staff salary account of another county receiving"),
    "P07": ("同一人两个身份证号跨县享受", "Same person under two IDs (fuzzy linkage)"),
}
