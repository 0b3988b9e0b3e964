#!/usr/bin/env python3
"""What the queue sends upstream: no line a patch adds, and no file it
creates, names this project, whose name means nothing in the kernel."""
import glob
import os
import re
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
PROJECT = re.compile(r"skidguard", re.I)
HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


def naming_the_project(path):
    """"file:line: text" of each added line, and each path of a diff,
    that names the project. Hunks are counted, so that an added line
    that starts with "++ " is not taken for a header."""
    found = []
    old = new = 0
    with open(path, errors="replace") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            where = f"{os.path.relpath(path, ROOT)}:{number}: {line}"
            if old > 0 or new > 0:
                if line.startswith("+"):
                    new -= 1
                    if PROJECT.search(line):
                        found.append(where)
                elif line.startswith("-"):
                    old -= 1
                elif not line.startswith("\\"):
                    old, new = old - 1, new - 1
                continue
            hunk = HUNK.match(line)
            if hunk:
                old, new = int(hunk.group(1) or 1), int(hunk.group(2) or 1)
            elif line.startswith("diff --git ") and PROJECT.search(line):
                found.append(where)
    return found


class Series(unittest.TestCase):
    def test_nothing_a_patch_adds_names_the_project(self):
        found = []
        for path in sorted(glob.glob(os.path.join(ROOT, "series", "*", "[0-9][0-9][0-9][0-9]-*.patch"))):
            found += naming_the_project(path)
        self.assertEqual(found, [])

    def test_a_name_in_a_line_or_a_path_is_found(self):
        """The check above can fail: an added line that names the project,
        one that starts with "++ ", and a new file's path are found; the
        author's identity and the lines a hunk keeps are not."""
        path = os.path.join(ROOT, "tests", "harness", "fixtures", "names-the-project.patch")
        self.assertEqual([hit.split(": ", 1)[1] for hit in naming_the_project(path)], [
            "+#define SKIDGUARD_TRIGGER\t\"/sys/kernel/debug/perf_skid_test/overflow\"",
            "+++ skidguard's counter, in a comment that starts with ++",
            "diff --git a/tools/skidguard.sh b/tools/skidguard.sh",
        ])


if __name__ == "__main__":
    unittest.main()
