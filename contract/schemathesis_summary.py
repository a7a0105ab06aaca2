"""Summarizes a schemathesis JSON report and fails unless the run was clean.

Clean: every operation of the spec tested, no failure of any selected check
(so no response violating its schema, no server error), no errored test.
Prints the counts CI reports: operations, cases, failures by check.
"""

import json
import sys


def main(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    ops = report.get("operations", {})
    cases = report.get("test_cases", {})
    failures = report.get("failures", [])
    errors = report.get("errors", [])
    by_code = {f"{f.get('code')} {f.get('title')}": f.get("count", 0) for f in failures}
    schema_violations = sum(f.get("count", 0) for f in failures if f.get("code") == "ST108")
    server_errors = sum(f.get("count", 0) for f in failures if f.get("code") == "ST101")
    print(
        "schemathesis {}: {}/{} operations tested, {} cases generated, {} with failures, "
        "{} schema violations, {} server errors, {} errors, {:.0f} s".format(
            report.get("schemathesis_version", "?"),
            ops.get("tested", 0),
            ops.get("total", 0),
            cases.get("generated", 0),
            cases.get("with_failures", 0),
            schema_violations,
            server_errors,
            sum(e.get("count", 1) for e in errors),
            report.get("running_time", 0),
        )
    )
    for name, count in sorted(by_code.items()):
        print(f"  failure {name}: {count}")
    for e in errors:
        print(f"  error (in the tool or the run, see the log): {json.dumps(e)[:300]}")
    clean = not failures and not errors and ops.get("tested", 0) == ops.get("total", -1) > 0
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
