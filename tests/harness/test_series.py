#!/usr/bin/env python3
"""What the queue sends upstream: no line a patch adds names this
project, whose name means nothing in the kernel."""
import glob
import os
import re
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
PROJECT = re.compile(r"skidguard", re.I)


def added_lines_naming_the_project(path):
    """"file:line: text" of each line the patch adds that names the project."""
    found = []
    with open(path, errors="replace") as f:
        for number, line in enumerate(f, 1):
            if line.startswith("+") and not line.startswith("+++ ") and PROJECT.search(line):
                found.append(f"{os.path.relpath(path, ROOT)}:{number}: {line.rstrip()}")
    return found


class Series(unittest.TestCase):
    def test_no_added_line_names_the_project(self):
        found = []
        for path in sorted(glob.glob(os.path.join(ROOT, "series", "*", "[0-9][0-9][0-9][0-9]-*.patch"))):
            found += added_lines_naming_the_project(path)
        self.assertEqual(found, [])

    def test_a_line_naming_the_project_is_found(self):
        """The check above can fail: an added line is found, the author's
        identity and the diff's headers are not."""
        path = os.path.join(ROOT, "tests", "harness", "fixtures", "names-the-project.patch")
        self.assertEqual([hit.split(": ", 1)[1] for hit in added_lines_naming_the_project(path)],
                         ["+#define SKIDGUARD_TRIGGER\t\"/sys/kernel/debug/perf_skid_test/overflow\""])


if __name__ == "__main__":
    unittest.main()
