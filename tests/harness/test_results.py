#!/usr/bin/env python3
"""Unit tests of harness/results.py over console logs kept as fixtures:
a passing boot (x86_64, and arm64 with the perf tests), one failing on a
mutant, one that crashed mid-run, and a tree before 5.9 (legacy-4.12:
written in the form v4.12's runner prints, as no 4.12 base is here). The kunit.py
JSON beside them is what the 7.3 tree's kunit.py wrote for their KTAP."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "harness"))
import results  # noqa: E402


def fixture(name):
    with open(os.path.join(HERE, "fixtures", name), errors="replace") as f:
        return f.read()


class ConsoleSections(unittest.TestCase):
    def test_kunit_part_ends_where_the_kselftests_begin(self):
        part = results.kunit_part(fixture("x86_64-pass.console"))
        self.assertIn("# Subtest: perf_skid", part)
        self.assertNotIn("selftests: perf_events", part)

    def test_kselftest_part_is_between_the_markers(self):
        part = results.kselftest_part(fixture("x86_64-pass.console"))
        self.assertTrue(part.startswith("TAP version 13"))
        self.assertIn("ok 4 selftests: perf_events: skid_signal", part)
        self.assertNotIn("skidguard:", part)

    def test_carriage_returns_of_the_serial_console_go(self):
        text = "skidguard: kselftest begin\r\nTAP version 13\r\nskidguard: kselftest end\r\n"
        self.assertEqual(results.kselftest_part(text), "TAP version 13")

    def test_crash_before_the_kselftests_is_said(self):
        with self.assertRaisesRegex(results.ResultsError, "did not start"):
            results.kselftest_part(fixture("x86_64-crash.console"))

    def test_unfinished_kselftests_name_the_last_line(self):
        text = fixture("x86_64-pass.console").split("skidguard: kselftest end")[0]
        with self.assertRaisesRegex(results.ResultsError, "did not finish in QEMU; last console line: # Totals: pass:4"):
            results.kselftest_part(text)


class KunitCounts(unittest.TestCase):
    def counts(self, name):
        return results.counts(results.kunit_json(os.path.join(HERE, "fixtures", name)))

    def test_passing_suite(self):
        totals, failed = self.counts("x86_64-pass.kunit.json")
        self.assertEqual(totals, {"total": 22, "passed": 22, "failed": 0, "skipped": 0})
        self.assertEqual(failed, [])

    def test_failing_cases_are_named_with_their_suite(self):
        totals, failed = self.counts("x86_64-M1-fail.kunit.json")
        self.assertEqual((totals["failed"], totals["passed"]), (18, 4))
        self.assertEqual(failed[0], "perf_skid.skid_sample_dropped_signal_kept")

    def test_cases_a_crash_kept_from_running_fail(self):
        totals, failed = self.counts("x86_64-crash.kunit.json")
        self.assertEqual((totals["total"], totals["passed"], totals["failed"]), (22, 9, 13))
        self.assertEqual(failed, ["perf_skid: 13 cases that never ran"])

    def test_kselftests_through_kunit_py(self):
        totals, _ = self.counts("x86_64-pass.kselftest.json")
        self.assertEqual(totals, {"total": 4, "passed": 4, "failed": 0, "skipped": 0})


class LegacyRunner(unittest.TestCase):
    """Trees before 5.9: the runner their install target wrote prints one
    "selftests: NAME [PASS|FAIL]" line a test (legacy-4.12.console: the
    skid selftest on seccomp's test_harness.h, and one that fails)."""

    def test_pass_and_fail_lines(self):
        part = results.kselftest_part(fixture("legacy-4.12.console"))
        totals, failed = results.counts(results.legacy_cases(part))
        self.assertEqual(totals, {"total": 2, "passed": 1, "failed": 1, "skipped": 0})
        self.assertEqual(failed, ["watermark_signal"])

    def test_figures_without_tap_nesting(self):
        found = results.figures(fixture("legacy-4.12.console"))
        self.assertEqual(found["injected"], {"overflows": 1000, "signals": 1000, "lost_signals": 0,
                                             "kernel_share": 50.0, "bad_samples": 0})

    def test_no_test_reported_is_an_error(self):
        with self.assertRaisesRegex(results.ResultsError, "reported no test"):
            results.legacy_cases("TAP version 13\n")


class Figures(unittest.TestCase):
    def test_selftest_figures_are_joined_per_test(self):
        found = results.figures(fixture("x86_64-pass.console"))
        self.assertEqual(found["injected"]["overflows"], 1000)
        self.assertEqual(found["injected"]["kernel_share"], 50.0)
        self.assertEqual(found["injected"]["dropped_for_skid"], 500)
        self.assertEqual(list(found)[:2], ["overflow_cost", "injected"])

    def test_kunit_cost_figures(self):
        cost = results.figures(fixture("x86_64-pass.console"))["overflow_cost"]
        self.assertGreater(cost["kept_ns"], 0)
        self.assertEqual(cost["overflows"], 100000)

    def test_arm64_pmu_runs_the_hardware_case(self):
        found = results.figures(fixture("arm64-pass.console"))
        self.assertGreater(found["hw_counter"]["overflows"], 0)

    def test_a_word_that_is_no_number_is_left_out(self):
        self.assertEqual(results.figures("# figures: t a=1 b=x c=2.5%\n"), {"t": {"a": 1, "c": 2.5}})


class SkipReason(unittest.TestCase):
    def test_reason_of_the_skipped_case(self):
        self.assertRegex(results.skip_reason(fixture("x86_64-pass.console"), "hw_counter"),
                         r"^no PMU counts generic cycles here")

    def test_a_case_that_ran_has_none(self):
        self.assertIsNone(results.skip_reason(fixture("x86_64-pass.console"), "injected"))

    def test_results_of_cases_in_the_runner_s_nesting(self):
        text = ("# ok 1 global.hw_counter # SKIP no core PMU of cpu 0 in /sys (GenuineIntel)\r\n"
                "# not ok 2 global.injected\n# ok 3 global.injected_poll_only\n")
        self.assertEqual(results.case_result(text, "hw_counter"),
                         ("skip", "no core PMU of cpu 0 in /sys (GenuineIntel)"))
        self.assertEqual(results.case_result(text, "injected"), ("fail", None))
        self.assertEqual(results.case_result(text, "injected_poll_only"), ("pass", None))
        self.assertIsNone(results.case_result(text, "mmap"))

    def test_a_failed_line_is_no_skip(self):
        self.assertIsNone(results.skip_reason("# not ok 1 global.hw_counter\n", "hw_counter"))

    def test_another_case_by_a_longer_name_is_not_taken(self):
        self.assertIsNone(results.skip_reason("ok 1 global.hw_counter_x # SKIP no\n", "hw_counter"))


class PerfTests(unittest.TestCase):
    def test_verdict_and_last_line_of_each_test(self):
        tests = results.perf_tests(fixture("arm64-pass.console"))
        self.assertEqual(len(tests), 1)
        name, status, said = tests[0]
        self.assertEqual((name, status), ("record_user_only_skid", 0))
        self.assertRegex(said, r"^user-only samples: \d+, with kernel state: 0")

    def test_kernel_lines_between_them_are_left_out(self):
        text = ("skidguard: perf tests begin\nt: samples: 3\n"
                "perf: interrupt took too long (2524 > 2500)\nt: skidguard: perf test exit 1\n"
                "u: Skip: no PMU\nu: skidguard: perf test exit 2\nskidguard: perf tests end\n")
        self.assertEqual(results.perf_tests(text), [("t", 1, "samples: 3"), ("u", 2, "Skip: no PMU")])

    def test_unfinished_run_names_the_last_line(self):
        with self.assertRaisesRegex(results.ResultsError, "did not finish in QEMU; last console line: t: x"):
            results.perf_tests("skidguard: perf tests begin\nt: x\n")


if __name__ == "__main__":
    unittest.main()
