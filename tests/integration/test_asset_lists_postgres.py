"""On PostgreSQL the civil-affairs login may write the asset lists (its group role's
grants, ``GROUP_WRITES``) and a finance maker's login may not."""

import pandas as pd
import pytest

from tests.cli.test_refdata_assets import _ids
from tests.integration.test_operators_postgres import (  # noqa: F401 (the fixture)
    CIVIL,
    MAKER,
    as_login,
    invoke,
    pg_ledger,
    register,
)
from tests.roster_support import query, write_csv

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize(
    ("kind", "columns"),
    [
        ("vehicles", {"号牌号码": ["冀A12345"], "车辆价值(元)": ["90000.00"]}),
        ("property", {"不动产权证号": ["P-1"], "建筑面积(平方米)": ["86.50"]}),
        ("provident_fund", {"缴存单位": ["某公司"], "月缴存额(元)": ["360.00"]}),
    ],
)
def test_the_civil_affairs_login_imports_an_asset_list_the_makers_may_not(
    pg_ledger,  # noqa: F811
    tmp_path,
    kind,
    columns,
):
    register(pg_ledger)
    path = write_csv(pd.DataFrame({"身份证号": _ids(1), **columns}), tmp_path / f"{kind}.csv")
    refused = invoke(as_login(pg_ledger, MAKER), "refdata", "import", kind, str(path),
                     "--operator", MAKER)  # fmt: skip
    assert refused.exit_code != 0
    done = invoke(as_login(pg_ledger, CIVIL), "refdata", "import", kind, str(path),
                  "--operator", CIVIL)  # fmt: skip
    assert done.exit_code == 0, done.output
    assert query(pg_ledger, "SELECT kind, operator FROM refdata_imports") == [(kind, CIVIL)]
