"""The console through Flask's test client: who may see what, CSRF, lock-out, session
expiry, headers, masking and its audit trail, downloads, language."""

import io
import json
import time
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from ledger.db.uow import UnitOfWork
from ledger.demo.roles import ADMIN, AUDITOR, CIVIL_AFFAIRS, MAKER
from ledger.operator_register import disable
from ledger.web.app import WebSettings
from ledger.web.guard import PUBLIC
from ledger.web.signin import SignInPolicy
from tests.support.web import PASSWORDS, DemoLedger, set_passwords
from tests.web.conftest import csrf_of, sign_in


@pytest.fixture(scope="module")
def app(demo_ledger: DemoLedger) -> Flask:
    return demo_ledger.app(
        WebSettings(actions=True, sign_in=SignInPolicy(lock_after=3, lock_minutes=10))
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _query(demo_ledger: DemoLedger, sql: str, **params: object) -> list[sa.Row]:
    reader, _ = demo_ledger.engines()
    with reader.connect() as connection:
        rows = list(connection.execute(sa.text(sql), params))
    reader.dispose()
    return rows


def _open_finding(demo_ledger: DemoLedger, rule: str) -> int:
    rows = _query(
        demo_ledger,
        "SELECT id FROM findings WHERE rule = :r AND status = 'open' ORDER BY id",
        r=rule,
    )
    return int(rows[-1][0])


def test_a_logged_out_request_is_sent_to_the_login_page(client: FlaskClient) -> None:
    response = client.get("/findings?period=2026-03")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert "2026-03" in response.headers["Location"]
    assert client.get("/no-such-page").status_code == 404


def test_every_page_declares_the_roles_that_may_see_it(app: Flask) -> None:
    unguarded = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint not in PUBLIC and getattr(view, "roles", None) is None
    ]
    assert unguarded == []


def test_pages_carry_the_security_headers(client: FlaskClient) -> None:
    sign_in(client, AUDITOR)
    for path in ("/login", "/", "/people/R0000001", "/findings?download=csv&table=findings"):
        headers = client.get(path).headers
        assert "default-src 'none'" in headers["Content-Security-Policy"], path
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store"
        assert headers["Referrer-Policy"] == "no-referrer"
    cookie = client.get_cookie("ledger_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    client: FlaskClient, demo_ledger: DemoLedger
) -> None:
    finding = _open_finding(demo_ledger, "D03")
    sign_in(client, AUDITOR)
    response = client.post(
        f"/findings/{finding}/dismiss", data={"reason": "not a problem", "csrf": "forged"}
    )
    assert response.status_code == 400
    status = _query(demo_ledger, "SELECT status FROM findings WHERE id = :i", i=finding)
    assert status[0][0] == "open"


def test_an_auditor_cannot_reach_the_rectification_form(
    client: FlaskClient, demo_ledger: DemoLedger
) -> None:
    finding = _open_finding(demo_ledger, "D04")
    token = sign_in(client, AUDITOR)
    assert client.get(f"/findings/{finding}/rectify").status_code == 403
    posted = client.post(f"/findings/{finding}/rectify", data={"csrf": token, "note": "done"})
    assert posted.status_code == 403
    page = client.get(f"/findings/{finding}").get_data(as_text=True)
    assert f"/findings/{finding}/rectify" not in page
    assert f"/findings/{finding}/assign" in page


def test_civil_affairs_rectify_but_cannot_assign(
    client: FlaskClient, demo_ledger: DemoLedger
) -> None:
    finding = _open_finding(demo_ledger, "M02")
    token = sign_in(client, CIVIL_AFFAIRS)
    assert client.get(f"/findings/{finding}/assign").status_code == 403
    empty = client.post(f"/findings/{finding}/rectify", data={"csrf": token, "note": " "})
    assert empty.status_code == 400 and "say what was done" in empty.get_data(as_text=True)
    done = client.post(
        f"/findings/{finding}/rectify", data={"csrf": token, "note": "钱已追回 600 元"}
    )
    assert done.status_code == 302
    rows = _query(
        demo_ledger,
        "SELECT f.status, e.operator, e.note FROM findings f JOIN finding_events e"
        " ON e.finding_id = f.id WHERE f.id = :i AND e.action = 'rectify'",
        i=finding,
    )
    assert [tuple(r) for r in rows] == [("rectified", CIVIL_AFFAIRS, "钱已追回 600 元")]


def test_without_actions_no_one_reaches_a_writing_form(demo_ledger: DemoLedger) -> None:
    client = demo_ledger.app(WebSettings(actions=False)).test_client()
    finding = _open_finding(demo_ledger, "D01")
    sign_in(client, AUDITOR)
    assert client.get(f"/findings/{finding}/assign").status_code == 403
    assert f"/findings/{finding}/assign" not in client.get(f"/findings/{finding}").text


def test_failed_sign_ins_lock_the_operator_out_in_the_database(
    client: FlaskClient, demo_ledger: DemoLedger
) -> None:
    name = MAKER
    for _ in range(3):
        page = client.get("/login").get_data(as_text=True)
        wrong = client.post(
            "/login", data={"csrf": csrf_of(page), "name": name, "password": "wrong-password"}
        )
        assert wrong.status_code == 401
        assert "wrong operator name or password" in wrong.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    right = client.post(
        "/login", data={"csrf": csrf_of(page), "name": name, "password": PASSWORDS[name]}
    )
    assert right.status_code == 401 and "locked out until" in right.get_data(as_text=True)
    locked = _query(
        demo_ledger,
        "SELECT c.locked_until FROM web_credentials c JOIN operators o"
        " ON o.id = c.operator_id WHERE o.name_key = :n",
        n=name,
    )
    assert locked[0][0] is not None
    events = _query(
        demo_ledger,
        "SELECT action FROM audit_events WHERE subject_id = :n AND action LIKE 'web.%' ORDER BY id",
        n=name,
    )
    assert [e[0] for e in events][-5:] == [
        "web.login_failed",
        "web.login_failed",
        "web.locked",
        "web.login_failed",
        "web.login_refused",
    ]
    # A new password from the administrator ends the lock-out.
    _, writer = demo_ledger.engines()
    set_passwords(writer, {name: PASSWORDS[name]})
    assert sign_in(client, name)


def test_an_administrator_has_no_page_in_the_console(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"csrf": csrf_of(page), "name": ADMIN, "password": PASSWORDS[ADMIN]}
    )
    assert response.status_code == 401
    assert "the console serves" in response.get_data(as_text=True)


def test_an_idle_session_expires(client: FlaskClient) -> None:
    sign_in(client, AUDITOR)
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["seen"] = time.time() - 16 * 60
    response = client.get("/")
    assert response.status_code == 302 and "m=expired" in response.headers["Location"]
    assert client.get("/").status_code == 302  # the session is gone


def test_a_disabled_operator_is_signed_out_at_the_next_request(
    demo_ledger: DemoLedger, app: Flask
) -> None:
    from ledger.operator_register import add

    _, writer = demo_ledger.engines()
    with UnitOfWork(writer) as uow:
        add(uow, "qian.audit", roles=["auditor"], full_name="钱审计", department="审计", by=ADMIN)
    set_passwords(writer, {"qian.audit": "qian-pass-0001"})
    client = app.test_client()
    sign_in(client, "qian.audit", "qian-pass-0001")
    with UnitOfWork(writer) as uow:
        disable(uow, "qian.audit", by=ADMIN)
    writer.dispose()
    assert client.get("/").status_code == 302


def test_the_login_never_redirects_to_another_site(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={
            "csrf": csrf_of(page),
            "name": AUDITOR,
            "password": PASSWORDS[AUDITOR],
            "next": "//evil.example/x",
        },
    )
    assert response.headers["Location"] == "/"


def test_unmasking_needs_the_role_and_is_an_audit_event(
    client: FlaskClient, demo_ledger: DemoLedger
) -> None:
    key, id_number = _query(demo_ledger, "SELECT key, id_number FROM recipients WHERE id = 9")[0]
    token = sign_in(client, MAKER)
    masked = client.get(f"/people/{key}").get_data(as_text=True)
    assert id_number not in masked and id_number[:6] + "********" + id_number[-4:] in masked
    assert client.post(f"/people/{key}/unmask", data={"csrf": token}).status_code == 403
    client.post("/logout", data={"csrf": token})
    token = sign_in(client, AUDITOR)
    before = _query(demo_ledger, "SELECT COUNT(*) FROM audit_events WHERE action = 'web.unmask'")
    shown = client.post(f"/people/{key}/unmask", data={"csrf": token})
    assert shown.status_code == 200 and id_number in shown.get_data(as_text=True)
    assert "download=csv" not in shown.text  # downloads are of the masked page only
    events = _query(
        demo_ledger,
        "SELECT operator, subject_id FROM audit_events WHERE action = 'web.unmask' ORDER BY id",
    )
    assert len(events) == before[0][0] + 1
    assert tuple(events[-1]) == (AUDITOR, key)


def test_search_by_id_number_is_exact_posted_and_masked(
    client: FlaskClient, demo_ledger: DemoLedger
) -> None:
    key, id_number, name = _query(
        demo_ledger, "SELECT key, id_number, name FROM recipients WHERE id = 12"
    )[0]
    token = sign_in(client, AUDITOR)
    found = client.post("/search", data={"csrf": token, "kind": "id", "q": id_number}).text
    assert f"/people/{key}" in found and id_number not in found
    partial = client.post("/search", data={"csrf": token, "kind": "id", "q": id_number[:-1]})
    assert f"/people/{key}" not in partial.text
    by_name = client.post("/search", data={"csrf": token, "kind": "name", "q": name}).text
    assert f"/people/{key}" in by_name
    assert f"/people/{key}" not in client.get(f"/search?kind=id&q={id_number}").text


def test_the_findings_table_downloads_as_csv_and_xlsx_with_the_rows_shown(
    client: FlaskClient, demo_ledger: DemoLedger
) -> None:
    from openpyxl import load_workbook

    sign_in(client, AUDITOR)
    page = client.get("/findings?period=2026-03&rule=D01").text
    count = _query(
        demo_ledger, "SELECT COUNT(*) FROM findings WHERE period = '2026-03' AND rule = 'D01'"
    )[0][0]
    assert page.count('href="/findings/') >= count > 0
    csv = client.get("/findings?period=2026-03&rule=D01&download=csv&table=findings")
    assert csv.headers["Content-Disposition"] == 'attachment; filename="findings.csv"'
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("编号,规则") and len(lines) == count + 1
    xlsx = client.get("/findings?period=2026-03&rule=D01&download=xlsx&table=findings")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    amounts = [row[7] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(amounts) == count
    assert all(isinstance(a, (int, float, Decimal)) for a in amounts)


def test_pages_are_chinese_by_default_and_english_on_request(client: FlaskClient) -> None:
    sign_in(client, AUDITOR)
    assert "问题线索" in client.get("/").text
    english = client.get("/?lang=en").text
    assert "Findings this period" in english and "问题线索（本期" not in english
    assert "Findings this period" in client.get("/").text  # the choice is kept


def test_the_trial_balance_from_the_kept_totals_equals_the_postings_summed(
    client: FlaskClient,
) -> None:
    """Today's tree reads the kept balances and roll-up; as of a day after every posting
    it sums the postings: the two are the same, to the fen, at every level."""
    sign_in(client, AUDITOR)
    for opened in ("", "dibao_rural:T01"):
        for table in ("trial_balance_tree", "trial_balance"):
            kept = client.get(f"/trial-balance?open={opened}&download=csv&table={table}")
            summed = client.get(
                f"/trial-balance?open={opened}&as_of=2099-12-31&download=csv&table={table}"
            )
            assert kept.status_code == summed.status_code == 200
            assert kept.data == summed.data, (opened, table)
            assert kept.data.count(b"\n") > (3 if table == "trial_balance" else 4)
    opened = client.get("/trial-balance?open=dibao_rural:T01&download=csv&table=trial_balance_tree")
    assert b"R0" in opened.data  # the township's recipients are listed


def test_a_return_file_shows_its_outcomes_per_batch_as_kept(
    client: FlaskClient, demo_ledger: DemoLedger
) -> None:
    import csv

    sign_in(client, AUDITOR)
    expected = {
        (int(b), str(o)): int(n)
        for b, o, n in _query(
            demo_ledger,
            "SELECT i.batch_id, o.outcome, COUNT(*) FROM instruction_outcomes o"
            " JOIN payment_instructions i ON i.id = o.instruction_id"
            " WHERE o.return_file_id = 1 GROUP BY i.batch_id, o.outcome",
        )
    }
    page = client.get("/returns/1?download=csv&table=return_outcomes")
    assert page.status_code == 200
    rows = list(csv.reader(io.StringIO(page.data.decode("utf-8-sig"))))[1:]
    assert expected and {(int(r[0]), r[1]): int(r[2]) for r in rows} == expected


def test_every_page_of_the_trail_answers(client: FlaskClient, demo_ledger: DemoLedger) -> None:
    sign_in(client, AUDITOR)
    finding = _open_finding(demo_ledger, "D01")
    evidence = json.loads(
        _query(demo_ledger, "SELECT evidence FROM findings WHERE id = :i", i=finding)[0][0]
    )
    instruction = evidence["instruction_ids"][0]
    batch, tx = _query(
        demo_ledger,
        "SELECT i.batch_id, p.transaction_id FROM payment_instructions i JOIN postings p"
        " ON p.instruction_id = i.id WHERE i.id = :i",
        i=instruction,
    )[0]
    for path in (
        "/",
        "/findings",
        f"/findings/{finding}",
        f"/instructions/{instruction}",
        f"/transactions/{tx}",
        f"/batches/{batch}",
        f"/batches/{batch}/sheet",
        "/returns/1",
        "/accounts/Assets:Treasury:dibao_rural?period=2026-03",
        "/trial-balance",
        "/trial-balance?open=dibao_rural:T01",
        "/search",
    ):
        assert client.get(path).status_code == 200, path
    assert client.get("/instructions/999999").status_code == 404
    trail = client.get(f"/instructions/{instruction}").text
    assert f'href="/findings/{finding}"' in trail  # and back
