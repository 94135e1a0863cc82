"""The demo county's operators: the two of the payment batch (maker-checker), civil
affairs' clerk, the auditor and the administrator who registers them (`ledger operators
add`)."""

MAKER = "li.finance"
CHECKER = "wang.finance"
CIVIL_AFFAIRS = "zhao.civil"
AUDITOR = "sun.audit"
ADMIN = "wu.admin"
OPERATORS = (
    # name, roles, full name, department
    (ADMIN, ("admin",), "吴管理", "财政"),
    (CIVIL_AFFAIRS, ("civil_affairs",), "赵民政", "民政"),
    (MAKER, ("finance_maker",), "李财务", "财政"),
    (CHECKER, ("finance_checker",), "王复核", "财政"),
    (AUDITOR, ("auditor",), "孙审计", "审计"),
)
