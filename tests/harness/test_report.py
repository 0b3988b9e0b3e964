#!/usr/bin/env python3
"""Unit tests of harness/report.py: every report is built from records.

The records below are those of the mainline check whose table the cover
letter carries (fixtures/mainline-cover.table), plus a backport and a
branch without a base here."""
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "harness"))
import report  # noqa: E402

CHECKPATCH = ("12 patches: 0 errors, 0 warnings, 0 checks besides FILE_PATH_CHANGES on 5 (new files in "
              "maintained paths), BIT_MACRO on 1 (tools' copy of a UAPI header, which has no BIT()), "
              "CAMELCASE on 1 (C99 format macros such as PRIu64), UNKNOWN_COMMIT_ID (the base has no history)")
W1 = "0 W=1 warnings on lines the series adds"


def rec(stage, status="ok", detail="", arch="", branch="mainline", variant="", seconds=1.0, **values):
    words = [f"{k}={v}" for k, v in values.items() if not isinstance(v, str)]
    words += [f"@{k}={v}" for k, v in values.items() if isinstance(v, str)]
    return report.make_record(branch, arch, variant, stage, status, seconds, detail, words)


def kunit(arch, n, branch="mainline", variant=""):
    return rec("kunit", detail=f"{n}/{n} passed, 0 skipped", arch=arch, branch=branch, variant=variant,
               total=n, passed=n, failed=0, skipped=0)


def mainline_records(survivor=False):
    records = [rec("base", detail="linux-source-7.3 7.3~rc7-1~exp1 (158 MiB)",
                   version="linux-source-7.3 7.3~rc7-1~exp1"),
               rec("apply", detail="12 patches", patches=12),
               rec("checkpatch --strict", detail=CHECKPATCH + "; reused: inputs unchanged since the last run",
                   patches=12)]
    for arch in ("x86_64", "arm64"):
        records += [rec("config", arch=arch, detail="tinyconfig + x86_64.config+skid.config"),
                    rec("build", arch=arch, detail=W1)]
        if arch == "x86_64":
            records += [rec("sparse", arch=arch, detail="0 sparse warnings on lines the series adds; 34 in touched files"),
                        rec("bloat-o-meter", arch=arch, detail="kernel/events/ text +338 bytes; add/remove: 3/1",
                            delta_bytes=338)]
        records += [rec("boot", arch=arch, detail="231 console lines", console_lines=231), kunit(arch, 22),
                    rec("kselftest", arch=arch, detail="4/4 passed, 0 skipped; injected: overflows=1000",
                        total=4, passed=4, failed=0, skipped=0, **{"injected.overflows": 1000,
                        "injected.lost_signals": 0, "injected.kernel_share": 50.0, "injected.bad_samples": 0})]
        if arch == "arm64":
            records.append(rec("perf tests", arch=arch, detail="1/1 passed; record_user_only_skid: ...",
                               total=1, passed=1, failed=0, skipped=0))
        for n in range(1, 16):
            status = "survived" if survivor and n == 7 and arch == "x86_64" else "caught"
            records.append(rec(f"mutant M{n}", status, "what: caught by KUnit: x", arch=arch))
        cost = ("kept 5724 ns per overflow, 1.017x the unpatched path's 5628 ns (M2); skipped 600 ns"
                if arch == "arm64" else "kept 1306 ns per overflow, 1.050x the unpatched path's 1244 ns (M2)")
        records.append(rec("overflow cost", arch=arch, detail=cost, kept_ns=5724))
        if arch == "x86_64":
            records += [rec("each patch builds", arch=arch, patches=12,
                            detail="all 12: the first 11 each without the ones after it, the last as the whole series"),
                        rec("build", arch="powerpc", detail=W1 + "; ppc64le_defconfig: arch/powerpc/perf/core-book3s.o")]
    records += [rec("config", arch="powerpc"), rec("build", arch="powerpc", detail=W1), kunit("powerpc", 4),
                rec("mutant P1", "caught", arch="powerpc"), rec("mutant P2", "caught", arch="powerpc")]
    records += [rec("build", arch="x86_64", variant="debug", detail=W1), kunit("x86_64", 22, variant="debug"),
                rec("splats", arch="x86_64", variant="debug", splats=0,
                    detail="none in 256 console lines (lockdep, atomic sleep, KASAN, UBSAN, WARN, BUG)"),
                rec("mutant D1", "caught", arch="x86_64", variant="debug", detail="splat at console line 9")]
    return records


def backport_records():
    return [rec("base", branch="7.2.y", detail="linux-source-7.2 7.2.13-1", version="linux-source-7.2 7.2.13-1"),
            rec("apply", branch="7.2.y", patches=6), rec("checkpatch --strict", branch="7.2.y", detail="6 patches"),
            rec("build", branch="7.2.y", arch="x86_64", detail=W1), kunit("x86_64", 18, branch="7.2.y"),
            rec("kselftest", "skip", "no kselftests", branch="7.2.y", arch="x86_64"),
            rec("mutant M1", "caught", branch="7.2.y", arch="x86_64")]


def no_base_records():
    return [rec("base", "skip", "no base in any registry reachable here", branch="4.12.y",
                why="no base here (needs KERNEL_TREE=)")]


class CoverTable(unittest.TestCase):
    def test_mainline_table_is_the_cover_letters(self):
        with open(os.path.join(HERE, "fixtures", "mainline-cover.table")) as f:
            want = f.read().rstrip("\n")
        self.assertEqual(report.cover_table(mainline_records() + backport_records(), "mainline", "make check"), want)

    def test_cost_row_is_arm64s_alone(self):
        records = [r for r in mainline_records() if not (r.stage == "overflow cost" and r.arch == "arm64")]
        self.assertNotIn("overflow cost", report.cover_table(records, "mainline", "make check"))

    def test_cost_row_says_when_arm64s_clock_stood_still(self):
        records = mainline_records()
        cost = next(r for r in records if r.stage == "overflow cost" and r.arch == "arm64")
        cost.status = "skip"
        self.assertIn("  overflow cost        arm64 (-icount): skip\n", report.cover_table(records, "mainline", "make check"))

    def test_debug_boots_that_differ_keep_each_architecture(self):
        records = mainline_records() + [rec("splats", arch="arm64", variant="debug",
                                            detail="none in 300 console lines (lockdep, atomic sleep)")]
        self.assertIn("  lockdep/KASAN/UBSAN  x86_64: none in 256 console lines (lockdep, atomic sleep, KASAN, UBSAN, "
                      "WARN, BUG); arm64: none in 300 console lines\n", report.cover_table(records, "mainline", "make check") + "\n")

    def test_a_stage_that_did_not_run_says_so(self):
        table = report.cover_table(backport_records(), "7.2.y", "make")
        self.assertIn("  sparse               not run (make check runs it)", table)
        self.assertIn("  kselftests           x86_64: skip", table)
        self.assertNotIn("perf tests", table)
        self.assertNotIn("lockdep", table)

    def test_architectures_that_differ_get_a_part_each(self):
        records = mainline_records()
        records[[r.stage for r in records].index("kunit")].detail = "21/22 passed, 1 skipped"
        self.assertIn("  KUnit                x86_64: 21/22 passed, 1 skipped; arm64: 22/22 passed, 0 skipped; "
                      "powerpc: 4/4 passed", report.cover_table(records, "mainline", "make check"))


class Matrix(unittest.TestCase):
    def rows(self, records):
        return report.matrix(records).split("\n")

    def test_every_branch_has_a_row(self):
        rows = self.rows(mainline_records() + backport_records() + no_base_records())
        self.assertEqual(rows[0], report.MATRIX_HEADER)
        self.assertEqual(len(rows), 5)
        self.assertTrue(rows[2].startswith(
            "| mainline | linux-source-7.3 7.3~rc7-1~exp1 | ok | 12 patches: 0 errors, 0 warnings, 0 checks besides"))
        self.assertIn("| 22/22 x86_64, 22/22 arm64, 4/4 powerpc | 4/4 x86_64, 4/4 arm64 | 33 of 33 |", rows[2])
        self.assertIn("| 18/18 x86_64 | skip x86_64 | 1 of 1 |", rows[3])
        self.assertEqual(rows[4], "| 4.12.y | - | skipped: no base here (needs KERNEL_TREE=) | - | - | - | - | - | - |")

    def test_a_surviving_mutant_shows_as_one_fewer_caught(self):
        rows = self.rows(mainline_records(survivor=True) + backport_records())
        self.assertIn("| 32 of 33 |", rows[2])
        self.assertIn("| 1 of 1 |", rows[3])

    def test_a_failed_build_and_stages_that_never_ran(self):
        records = backport_records()[:3] + [rec("build", "FAIL", "kernel build failed: x", branch="7.2.y",
                                                arch="x86_64")]
        self.assertRegex(self.rows(records)[2], r"^\| 7\.2\.y \| .* \| FAIL \| - \| - \| 0 of 0 \| [0-9.]+ \|$")

    def test_minutes_are_the_branch_stages_own(self):
        records = [rec("base", branch="b", seconds=90, version="v"), rec("apply", branch="b", seconds=30)]
        self.assertTrue(self.rows(records)[2].endswith("| 2.0 |"))

    def test_readme_matrix_between_its_markers(self):
        text = "# x\n<!-- matrix begin: y -->\nold row\n<!-- matrix end -->\nafter\n"
        out = report.readme_with_matrix(text, backport_records(), "2026-11-28", 2, "3.0")
        self.assertNotIn("old row", out)
        self.assertIn("| 7.2.y | linux-source-7.2 7.2.13-1 |", out)
        self.assertTrue(out.endswith("_Written by make check on 2026-11-28 (2 CPUs), total 3.0 min._\n"
                                     "<!-- matrix end -->\nafter\n"))


class Summary(unittest.TestCase):
    def test_counts_and_names(self):
        records = mainline_records(survivor=True)
        text = report.summary(records, 60.0, headings=True)
        self.assertIn("--- mainline ---", text)
        self.assertRegex(text, r"\nmutant M7 \(x86_64\) +survived ")
        self.assertRegex(text, r"\ndebug kunit \(x86_64\) +ok ")
        self.assertRegex(text, r"\ncheckpatch --strict \(mainline\) +ok ")
        self.assertIn("reused: 1 stages whose inputs did not change", text)
        self.assertTrue(text.endswith(f"stages: {len(records) - 1} passed, 1 failed, 0 skipped"))

    def test_failures_name_branch_and_stage(self):
        records = mainline_records(survivor=True) + backport_records()
        self.assertEqual(report.failures(records), ["mainline: mutant M7 (x86_64) survived"])
        self.assertEqual(report.failures(backport_records()), [])

    def test_side_by_side_has_a_column_an_architecture(self):
        lines = report.side_by_side(mainline_records()).split("\n")
        self.assertEqual(lines[1].split(), ["SIDE", "BY", "SIDE", "x86_64", "powerpc", "arm64"])
        row = next(line for line in lines if line.startswith("skid_signal injected"))
        self.assertIn("1000 ovf, 0 lost, 50.0% in kernel, 0 bad", row)
        self.assertEqual(report.side_by_side(backport_records()), "")


class Records(unittest.TestCase):
    def test_written_and_read_back(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "run.jsonl")
            for record in mainline_records():
                report.add(path, record)
            self.assertEqual(report.load(path), mainline_records())

    def test_a_figure_must_be_a_number(self):
        with self.assertRaisesRegex(ValueError, "not a number"):
            report.make_record("b", "", "", "s", "ok", 1, "", ["delta=+x"])


class HwtestVerdict(unittest.TestCase):
    FIGURES = ("# # choice: cpu=12 pmu=cpu_atom type=10 vendor=GenuineIntel hypervisor=no skid_bound=125\n"
               "# # event: branch-instructions on cpu_atom, period 5000\n"
               "# # figures: hw_counter overflows=10001 signals={signals} lost_signals={lost}\n"
               "# # figures: hw_counter worst_skid=440 skid_bound={bound} late_signals=0\n"
               "# # figures: hw_counter kernel_share=1.1% bad_samples={bad}\n"
               "# # figures: hw_counter dropped_for_skid=106 lost_samples=0\n")

    def verdict(self, rc=0, lost=0, bad=0, bound=0):
        text = self.FIGURES.format(signals=10001 - lost, lost=lost, bad=bad, bound=bound)
        return report.hwtest_verdict(text, "6.99", rc, "hw.log")

    def test_kernel_that_passes(self):
        status, lines = self.verdict()
        self.assertEqual(status, "ok")
        self.assertEqual(lines[0], "hwtest: cpu 12, PMU cpu_atom, event branch-instructions, GenuineIntel, "
                                   "hypervisor no")
        self.assertEqual(lines[1], "hwtest: overflows 10001, signals 10001, lost 0, worst skid 440 (bound 0), "
                                   "landed in kernel 1.1%, bad samples 0, dropped for skid 106, lost samples 0")
        self.assertTrue(lines[2].startswith("hwtest: PASS: kernel 6.99 "))

    def test_each_fault_is_named(self):
        self.assertIn("loses overflow signals", self.verdict(1, lost=245)[1][-1])
        self.assertIn("writes kernel state", self.verdict(1, bad=3)[1][-1])
        self.assertIn("beyond rr's skid bound", self.verdict(1, bound=100)[1][-1])
        self.assertEqual(self.verdict(1)[1][-1], "hwtest: FAIL: kernel 6.99 fails skid_signal (exit 1, see hw.log)")

    def test_a_selftest_without_choice_lines_says_nothing_of_it(self):
        text = "\n".join(l for l in self.FIGURES.format(signals=10001, lost=0, bad=0, bound=0)
                         .split("\n") if "choice:" not in l and "event:" not in l)
        status, lines = report.hwtest_verdict(text, "6.99", 0, "hw.log")
        self.assertEqual(status, "ok")
        self.assertTrue(lines[0].startswith("hwtest: overflows 10001,"))

    def test_skip_and_missing_figures(self):
        self.assertEqual(report.hwtest_verdict("ok 1 global.hw_counter # SKIP no PMU\n", "6", 0, "l"),
                         ("skip", ["hwtest: SKIP: no PMU"]))
        with self.assertRaisesRegex(ValueError, "printed no figures"):
            report.hwtest_verdict("not ok 1 global.hw_counter\n", "6", 1, "l")


if __name__ == "__main__":
    unittest.main()
