#!/usr/bin/env python3
"""A run's results as records, and every report built from them.

Each stage of a run appends one record, a JSON line, to the run's records
file: branch, architecture, variant ("" or "debug"), stage, status (ok,
skip, FAIL, caught, survived), seconds, detail, figures (numbers) and
facts (strings). The summary, the side-by-side table, the README's matrix
and the cover letters' tables are read from those records alone.

  report.py add RECORDS BRANCH ARCH VARIANT STAGE STATUS SECONDS DETAIL [name=value|@name=text ...]
  report.py summary RECORDS TOTAL_SECONDS [--headings]
  report.py side RECORDS BRANCH
  report.py matrix RECORDS
  report.py readme RECORDS README DATE CPUS MINUTES
  report.py cover-table RECORDS BRANCH HOW
  report.py hwtest-verdict LOG KERNEL EXIT_STATUS   exit 0 pass, 1 fail, 2 skip
  report.py stage-failed RECORDS BRANCH   exit 0 if a stage of the branch failed
  report.py failures RECORDS [BRANCH]   one line naming what failed; exit 1 if anything did
"""
import json
import os
import sys
from dataclasses import dataclass, field

import results

PASSED = ("ok", "caught")
FAILED = ("FAIL", "survived")
REUSED_NOTE = "reused: inputs unchanged since the last run"
NOT_RUN = "not run (make check runs it)"
COVER_TABLE_HEAD = "Tested with skidguard"
MATRIX_HEADER = ("| branch | base version verified | apply | checkpatch | build | KUnit "
                 "| kselftest | mutants caught | minutes |")
MATRIX_BEGIN = "<!-- matrix begin"
MATRIX_END = "<!-- matrix end"


@dataclass
class Record:
    branch: str
    arch: str
    variant: str
    stage: str
    status: str
    seconds: float
    detail: str = ""
    figures: dict = field(default_factory=dict)
    facts: dict = field(default_factory=dict)

    @property
    def name(self):
        """The stage as the summary names it: "debug kunit (x86_64)"."""
        name = f"{self.variant} {self.stage}" if self.variant else self.stage
        scope = self.arch or self.branch
        return f"{name} ({scope})" if scope else name

    @property
    def headline(self):
        """What a table cell shows: the detail up to its first ';' when ok."""
        return self.detail.split(";")[0] if self.status in PASSED else self.status


def make_record(branch, arch, variant, stage, status, seconds, detail, values=()):
    record = Record(branch, arch, variant, stage, status, float(seconds), detail)
    for word in values:
        name, _, value = word.partition("=")
        if name.startswith("@"):
            record.facts[name[1:]] = value
            continue
        try:
            record.figures[name] = results.number(value)
        except ValueError:
            raise ValueError(f"figure {name}={value} is not a number") from None
    return record


def add(path, record):
    with open(path, "a") as f:
        f.write(json.dumps(record.__dict__, sort_keys=True) + "\n")


def load(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [Record(**json.loads(line)) for line in f if line.strip()]


def of_branch(records, branch):
    return [r for r in records if r.branch == branch]


def branches(records):
    seen = []
    for r in records:
        if r.branch and r.branch not in seen:
            seen.append(r.branch)
    return seen


def summary(records, total_seconds, headings=False):
    lines = ["", f"{'STAGE':<32} {'RESULT':<6} {'SECONDS':>8}  DETAIL"]
    branch = None
    for r in records:
        if headings and r.branch and r.branch != branch:
            branch = r.branch
            lines.append(f"--- {branch} ---")
        lines.append(f"{r.name:<32} {r.status:<6} {r.seconds:>8.1f}  {r.detail}".rstrip())
    lines.append(f"{'total':<32} {'':<6} {total_seconds:>8.1f}")
    reused = sum(REUSED_NOTE in r.detail for r in records)
    if reused:
        lines.append(f"reused: {reused} stages whose inputs did not change")
    passed = sum(r.status in PASSED for r in records)
    failed = sum(r.status in FAILED for r in records)
    skipped = sum(r.status == "skip" for r in records)
    lines.append(f"stages: {passed} passed, {failed} failed, {skipped} skipped")
    return "\n".join(lines)


def side_figure(values):
    """The skid selftest's key figures of one test, for the side table."""
    if "overflows" not in values:
        return "skipped"
    return (f"{values['overflows']} ovf, {values.get('lost_signals', '')} lost, "
            f"{values.get('kernel_share', '')}% in kernel, {values.get('bad_samples', '')} bad")


def side_by_side(records):
    """Stages that ran on several architectures, one column each."""
    cells, rows, arches = {}, [], []
    for r in records:
        if not r.arch:
            continue
        row = f"{r.variant} {r.stage}" if r.variant else r.stage
        rows += [row] if row not in rows else []
        arches += [r.arch] if r.arch not in arches else []
        cells[row, r.arch] = f"{r.status} {r.seconds:.1f}s"
    for r in records:
        if r.stage == "kselftest" and not r.variant:
            for test in ("hw_counter", "injected"):
                row = f"skid_signal {test}"
                rows += [row] if row not in rows else []
                values = {k.split(".", 1)[1]: v for k, v in r.figures.items()
                          if k.startswith(test + ".")}
                cells[row, r.arch] = side_figure(values)
    if len(arches) < 2:
        return ""
    width = max([len(c) for c in cells.values()] + [len(a) for a in arches]) + 2
    lines = [f"\n{'SIDE BY SIDE':<28}" + "".join(f" {a:<{width}}" for a in arches).rstrip()]
    for row in rows:
        lines.append((f"{row:<28}" + "".join(f" {cells.get((row, a), '-'):<{width}}"
                                              for a in arches)).rstrip())
    return "\n".join(lines)


def mutants_caught(records):
    mutants = [r for r in records if r.stage.startswith("mutant ")]
    return f"{sum(r.status == 'caught' for r in mutants)} of {len(mutants)}"


def matrix_cell(records, stage):
    """"22/22 x86_64, skip arm64": each architecture's count, or its status."""
    cells = []
    for r in records:
        if r.stage != stage or r.variant:
            continue
        if r.status == "ok" and "total" in r.figures:
            cells.append(f"{r.figures['passed']}/{r.figures['total']} {r.arch}")
        else:
            cells.append(f"{r.status} {r.arch}")
    return ", ".join(cells) or "-"


def fact(records, stage, name, default="-"):
    for r in records:
        if r.stage == stage and name in r.facts:
            return r.facts[name]
    return default


def status_of(records, stage, default="-"):
    """The stage's status, FAIL if it failed anywhere."""
    found = [r.status for r in records if r.stage == stage and not r.variant]
    if not found:
        return default
    return "FAIL" if "FAIL" in found else found[0]


def matrix_row(records, branch):
    records = of_branch(records, branch)
    base = [r for r in records if r.stage == "base"]
    if base and base[0].status == "skip":
        return f"| {branch} | - | skipped: {base[0].facts.get('why', base[0].detail)} | - | - | - | - | - | - |"
    checkpatch = [r for r in records if r.stage == "checkpatch --strict"]
    minutes = sum(r.seconds for r in records) / 60
    return (f"| {branch} | {fact(records, 'base', 'version')} | {status_of(records, 'apply')} "
            f"| {checkpatch[0].headline if checkpatch else '-'} | {status_of(records, 'build')} "
            f"| {matrix_cell(records, 'kunit')} | {matrix_cell(records, 'kselftest')} "
            f"| {mutants_caught(records)} | {minutes:.1f} |")


def matrix(records):
    rule = "|" + "---|" * (MATRIX_HEADER.count("|") - 1)
    return "\n".join([MATRIX_HEADER, rule] + [matrix_row(records, b) for b in branches(records)])


def readme_with_matrix(text, records, date, cpus, minutes):
    """The README's text with the matrix between its marker lines replaced."""
    body = (matrix(records) + f"\n\n_Written by make check on {date} ({cpus} CPUs), "
            f"total {minutes} min._")
    out, skip = [], False
    for line in text.split("\n"):
        if line.startswith(MATRIX_END):
            out.append(body)
            skip = False
        if not skip:
            out.append(line)
        if line.startswith(MATRIX_BEGIN):
            skip = True
    return "\n".join(out)


def results_cell(records, stage, variant=""):
    """A stage's headline with the architectures it held for; one part per
    architecture where they differ. An architecture built twice alike
    (powerpc: cross build, KUnit boot) is named once."""
    parts = []
    for r in records:
        if r.stage == stage and r.variant == variant and (r.arch, r.headline) not in parts:
            parts.append((r.arch, r.headline))
    if not parts:
        return NOT_RUN
    label = lambda arch, text: f"{arch}: {text}" if arch else text
    if len({text for _, text in parts}) == 1:
        return label(", ".join(a for a, _ in parts if a), parts[0][1])
    return "; ".join(label(a, t) for a, t in parts)


def cover_table(records, branch, how):
    records = of_branch(records, branch)
    cell = lambda stage, variant="": results_cell(records, stage, variant)
    mutants = mutants_caught(records)
    if mutants == "0 of 0":
        mutants = cell("mutants")
    patches = next((r.figures.get("patches") for r in records if r.stage == "apply"), "-")
    rows = [("git am", f"{patches} patches apply"),
            ("checkpatch --strict", cell("checkpatch --strict")),
            ("build, W=1", cell("build")),
            ("each patch builds", cell("each patch builds")),
            ("sparse", cell("sparse")),
            ("bloat-o-meter", cell("bloat-o-meter"))]
    # Beside the text growth, what the kept path costs: arm64's figure
    # alone, as its time follows the instructions run (-icount).
    cost = [r for r in records if r.stage == "overflow cost" and r.arch == "arm64"]
    if cost:
        rows.append(("overflow cost", f"arm64 (-icount): {cost[0].headline}"))
    rows += [("KUnit", cell("kunit")), ("kselftests", cell("kselftest"))]
    if cell("perf tests") != NOT_RUN:
        rows.append(("perf tests", cell("perf tests")))
    rows.append(("mutants caught", mutants))
    if cell("splats", "debug") != NOT_RUN:
        rows.append(("lockdep/KASAN/UBSAN", cell("splats", "debug").rsplit(" (lockdep", 1)[0]))
    head = f"{COVER_TABLE_HEAD} ({how}) on {fact(records, 'base', 'version')}:"
    return "\n".join([head] + [f"  {name:<20} {text}" for name, text in rows])


def failures(records):
    """Each failed stage, by branch: "mainline: mutant M16 (x86_64) survived"."""
    return [f"{r.branch + ': ' if r.branch and r.arch else ''}{r.name} {r.status}"
            + (f": {r.detail}" if r.status == "FAIL" and r.detail else "")
            for r in records if r.status in FAILED]


def tested_on(text):
    """"cpu 4, PMU cpu_atom, event branch-instructions, ...": what
    hw_counter's choice: and event: lines say it tested (selftests of the
    stable queues print neither)."""
    said = {}
    for line in results.console_lines(text):
        for key in ("choice: ", "event: "):
            if key in line:
                said[key] = line.split(key, 1)[1]
    choice = dict(w.split("=", 1) for w in said.get("choice: ", "").split() if "=" in w)
    event = said.get("event: ", "").split(" on ")[0] or "?"
    return (f"cpu {choice.get('cpu', '?')}, PMU {choice.get('pmu', '?')}, event {event}, "
            f"{choice.get('vendor', '?')}, hypervisor {choice.get('hypervisor', '?')}")


def hwtest_verdict(text, kernel, exit_status, log):
    """make hwtest's verdict on skid_signal's hw_counter output: (status,
    lines to print), status ok, FAIL or skip."""
    reason = results.skip_reason(text, "hw_counter")
    if reason is not None:
        return "skip", [f"hwtest: SKIP: {reason}"]
    hw = results.figures(text).get("hw_counter", {})
    if "overflows" not in hw:
        raise ValueError(f"skid_signal printed no figures (exit {exit_status}); see {log}")
    # The stable queues' selftests count skid drops as lost samples.
    lost_samples = hw.get("lost_samples", hw.get("skipped_as_lost", 0))
    verdict = []
    if hw.get("lost_signals", 0):
        verdict.append("loses overflow signals (the v4.12 regression)")
    if hw.get("bad_samples", 0):
        verdict.append("writes kernel state into user-only samples (no skid guard)")
    if hw.get("skid_bound", 0) and hw.get("worst_skid", 0) > hw["skid_bound"]:
        verdict.append("delivers signals beyond rr's skid bound")
    if not verdict and exit_status:
        verdict.append(f"fails skid_signal (exit {exit_status}, see {log})")
    lines = [f"hwtest: {tested_on(text)}"] if "choice: " in text else []
    lines += [f"hwtest: overflows {hw['overflows']}, signals {hw.get('signals', '')}, "
             f"lost {hw.get('lost_signals', '')}, worst skid {hw.get('worst_skid', '')} "
             f"(bound {hw.get('skid_bound', '')}), landed in kernel {hw.get('kernel_share', '')}%, "
             f"bad samples {hw.get('bad_samples', '')}, dropped for skid {hw.get('dropped_for_skid', 0)}, "
             f"lost samples {lost_samples}"]
    if verdict:
        return "FAIL", lines + [f"hwtest: FAIL: kernel {kernel} " + "; ".join(verdict)]
    return "ok", lines + [f"hwtest: PASS: kernel {kernel} keeps every overflow signal "
                          "and writes no kernel sample"]


def main(argv):
    what, args = argv[1], argv[2:]
    if what == "hwtest-verdict":
        with open(args[0], errors="replace") as f:
            try:
                status, lines = hwtest_verdict(f.read(), args[1], int(args[2]), args[0])
            except ValueError as err:
                sys.exit(str(err))
        print("\n".join(lines))
        sys.exit({"ok": 0, "FAIL": 1, "skip": 2}[status])
    if what == "add":
        add(args[0], make_record(*args[1:8], values=args[8:]))
        return
    records = load(args[0])
    if what == "summary":
        print(summary(records, float(args[1]), "--headings" in args[2:]))
    elif what == "side":
        text = side_by_side(of_branch(records, args[1]))
        if text:
            print(text)
    elif what == "matrix":
        if branches(records):
            print("\nMATRIX\n" + matrix(records))
    elif what == "readme":
        path = args[1]
        with open(path) as f:
            text = f.read()
        with open(path + ".tmp", "w") as f:
            f.write(readme_with_matrix(text, records, *args[2:5]))
        os.replace(path + ".tmp", path)
    elif what == "cover-table":
        print(cover_table(records, args[1], args[2]))
    elif what == "stage-failed":
        sys.exit(0 if any(r.status == "FAIL" for r in of_branch(records, args[1])) else 1)
    elif what == "failures":
        found = failures(of_branch(records, args[1]) if args[1:] else records)
        if found:
            print(f"{len(found)} failed: " + "; ".join(found))
            sys.exit(1)
    else:
        sys.exit(f"report.py: unknown request {what}")


if __name__ == "__main__":
    main(sys.argv)
