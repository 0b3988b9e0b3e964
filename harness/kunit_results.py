#!/usr/bin/env python3
"""Reads the JSON that `kunit.py parse --json` writes.

counts FILE: prints "total passed failed skipped" over all test cases.
failed FILE: prints the failed cases as suite.case, comma-separated.
"""
import json
import sys


def cases(group, prefix=""):
    for sub in group.get("sub_groups", []):
        yield from cases(sub, sub["name"])
    for case in group.get("test_cases", []):
        yield f"{prefix}.{case['name']}" if prefix else case["name"], case["status"]


def main():
    what, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        results = list(cases(json.load(f)))
    if what == "counts":
        statuses = [status for _, status in results]
        failed = sum(s not in ("PASS", "SKIP") for s in statuses)
        print(len(statuses), statuses.count("PASS"), failed, statuses.count("SKIP"))
    elif what == "failed":
        print(", ".join(name for name, status in results if status not in ("PASS", "SKIP")))
    else:
        sys.exit(f"unknown request {what}")


if __name__ == "__main__":
    main()
