#!/usr/bin/env python3
"""Reads what a test boot printed: the one parser of its console log.

The console of a boot holds KUnit's KTAP, then the kselftests between the
init script's markers, then the perf tests' lines. kunit.py (the kernel's
own parser) reads the KTAP and TAP; this module splits the console, counts
kunit.py's JSON, reads the legacy kselftest runner of trees before 5.9,
the perf tests' verdicts and every "figures:" line.

Command line, for the shell stages (each prints "name=value" words, which
harness/lib.sh's stage_end takes as a record's figures):
  results.py kunit-log LOG OUT       writes KUnit's part of LOG to OUT
  results.py kselftest-log LOG OUT   writes the kselftest part of LOG to OUT
  results.py counts JSON             total=, passed=, failed=, skipped=,
                                     failed_cases= lines of kunit.py's JSON
  results.py legacy TAP              the same of a pre-5.9 runner's output
  results.py figures FILE [TEST...]  TEST.name=value of its figures: lines
  results.py perf-tests LOG          the same, and said=: each test's last line
  results.py case LOG TEST           pass, fail or skip: kselftest case TEST's
                                     result (exit 1: none)
  results.py skip-reason LOG TEST    why kselftest case TEST skipped (exit 1:
                                     it did not)
"""
import json
import re
import sys

KSELFTEST_BEGIN = "skidguard: kselftest begin"
KSELFTEST_END = "skidguard: kselftest end"
PERF_TESTS_END = "skidguard: perf tests end"
PERF_EXIT = re.compile(r"^([^ :]+): skidguard: perf test exit ([0-9]+)$")
FIGURES = re.compile(r"figures: (\S+)((?: \S+=\S+)+)\s*$")
CASE_RESULT = re.compile(r"(?:^|# )(not ok|ok) [0-9]+ (?:\S+\.)?(\S+?)(?: # SKIP ?(.*))?$")
LEGACY = re.compile(r"^selftests: +(\S+) \[(PASS|FAIL)\]$")


class ResultsError(Exception):
    """What a console log lacks, said in one line."""


def console_lines(text):
    """The console's lines, without the carriage returns of a serial port."""
    return [line.rstrip("\r") for line in text.split("\n")]


def kunit_part(text):
    """KUnit's part of a console: everything before the kselftests."""
    lines = console_lines(text)
    if KSELFTEST_BEGIN in lines:
        lines = lines[: lines.index(KSELFTEST_BEGIN)]
    return "\n".join(lines)


def kselftest_part(text):
    """The kselftest runner's output, between the init script's markers."""
    lines = console_lines(text)
    if KSELFTEST_BEGIN not in lines:
        raise ResultsError("the kselftests did not start in QEMU")
    start = lines.index(KSELFTEST_BEGIN) + 1
    if KSELFTEST_END not in lines[start:]:
        raise ResultsError("the kselftests did not finish in QEMU; last console line: "
                           + last_line(lines))
    return "\n".join(lines[start: lines.index(KSELFTEST_END, start)])


def last_line(lines):
    nonempty = [line for line in lines if line.strip()]
    return nonempty[-1] if nonempty else "(none)"


def kunit_cases(group, prefix=""):
    """(suite.case, status) of every case in kunit.py's JSON."""
    for sub in group.get("sub_groups", []):
        yield from kunit_cases(sub, sub["name"])
    for case in group.get("test_cases", []):
        yield (f"{prefix}.{case['name']}" if prefix else case["name"]), case["status"]


def counts(cases):
    """Totals of (name, status) pairs; anything but PASS and SKIP failed.
    Cases a crash kept from running have no name (kunit.py knows only the
    plan's count): they are counted by suite."""
    statuses = [status for _, status in cases]
    failed, unnamed = [], {}
    for name, status in cases:
        if status in ("PASS", "SKIP"):
            continue
        if name.endswith("."):
            unnamed[name[:-1]] = unnamed.get(name[:-1], 0) + 1
        else:
            failed.append(name)
    failed += [f"{suite}: {n} cases that never ran" for suite, n in unnamed.items()]
    return {"total": len(statuses), "passed": statuses.count("PASS"),
            "failed": sum(status not in ("PASS", "SKIP") for status in statuses),
            "skipped": statuses.count("SKIP")}, failed


def kunit_json(path):
    with open(path) as f:
        return list(kunit_cases(json.load(f)))


def legacy_cases(text):
    """The "selftests: NAME [PASS|FAIL]" lines of the runner before 5.9."""
    cases = []
    for line in console_lines(text):
        match = LEGACY.match(line)
        if match:
            cases.append((match.group(1), "PASS" if match.group(2) == "PASS" else "FAIL"))
    if not cases:
        raise ResultsError("the legacy kselftest runner reported no test")
    return cases


def number(text):
    """A figure as a number: 1000, 50.0 (from "50.0%")."""
    text = text.rstrip("%")
    try:
        return int(text)
    except ValueError:
        return float(text)


def figures(text):
    """{test: {name: number}} of every "figures: TEST a=1 b=2" line, in order."""
    found = {}
    for line in console_lines(text):
        match = FIGURES.search(line)
        if not match:
            continue
        test = found.setdefault(match.group(1), {})
        for word in match.group(2).split():
            name, _, value = word.partition("=")
            try:
                test[name] = number(value)
            except ValueError:
                continue
    return found


def case_result(text, test):
    """(status, skip reason) of kselftest case TEST: pass, fail or skip;
    None if the console has no result of it."""
    for line in console_lines(text):
        match = CASE_RESULT.search(line)
        if match and match.group(2) == test:
            if match.group(3) is not None:
                return "skip", match.group(3)
            return ("pass" if match.group(1) == "ok" else "fail"), None
    return None


def skip_reason(text, test):
    """Why kselftest case TEST skipped, or None if it did not."""
    result = case_result(text, test)
    return result[1] if result and result[0] == "skip" else None


def perf_tests(text):
    """[(test, exit status, its last line)] of the perf tests' run."""
    lines = console_lines(text)
    if PERF_TESTS_END not in lines:
        raise ResultsError("the perf tests did not finish in QEMU; last console line: "
                           + last_line(lines))
    tests = []
    for line in lines:
        match = PERF_EXIT.match(line)
        if not match:
            continue
        name = match.group(1)
        said = [l[len(name) + 2:] for l in lines
                if l.startswith(name + ": ") and not PERF_EXIT.match(l)]
        tests.append((name, int(match.group(2)), said[-1] if said else ""))
    if not tests:
        raise ResultsError("the perf tests printed no result")
    return tests


def words(values):
    return " ".join(f"{name}={value}" for name, value in values.items())


def results_lines(cases):
    totals, failed = counts(cases)
    return "\n".join([f"{name}={value}" for name, value in totals.items()]
                     + ["failed_cases=" + ", ".join(failed)])


def main(argv):
    what, args = argv[1], argv[2:]
    try:
        if what in ("kunit-log", "kselftest-log"):
            with open(args[0], errors="replace") as f:
                text = f.read()
            part = kunit_part(text) if what == "kunit-log" else kselftest_part(text)
            with open(args[1], "w") as out:
                out.write(part + "\n")
        elif what == "counts":
            print(results_lines(kunit_json(args[0])))
        elif what == "legacy":
            with open(args[0]) as f:
                print(results_lines(legacy_cases(f.read())))
        elif what == "figures":
            with open(args[0], errors="replace") as f:
                found = figures(f.read())
            print(" ".join(f"{test}.{name}={value}" for test, values in found.items()
                           if not args[1:] or test in args[1:]
                           for name, value in values.items()))
        elif what == "perf-tests":
            with open(args[0], errors="replace") as f:
                tests = perf_tests(f.read())
            print(results_lines([(name, {0: "PASS", 2: "SKIP"}.get(rc, "FAIL"))
                                 for name, rc, _ in tests]))
            print("said=" + "; ".join(f"{name}: {said}" for name, _, said in tests))
        elif what == "case":
            with open(args[0], errors="replace") as f:
                result = case_result(f.read(), args[1])
            if result is None:
                sys.exit(f"no result of {args[1]}")
            print(result[0])
        elif what == "skip-reason":
            with open(args[0], errors="replace") as f:
                reason = skip_reason(f.read(), args[1])
            if reason is None:
                sys.exit(f"{args[1]} did not skip")
            print(reason)
        else:
            sys.exit(f"results.py: unknown request {what}")
    except (ResultsError, OSError, ValueError) as err:
        sys.exit(str(err))


if __name__ == "__main__":
    main(sys.argv)
