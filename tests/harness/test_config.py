#!/usr/bin/env python3
"""The run's configuration is read in one place, harness/config.sh, and
README.md's "Knobs" table lists every variable it reads."""
import os
import re
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
HARNESS = os.path.join(ROOT, "harness")


def read(*path):
    with open(os.path.join(ROOT, *path)) as f:
        return f.read()


def knobs():
    """CONFIG_KNOBS of config.sh."""
    match = re.search(r"^CONFIG_KNOBS=\(([^)]*)\)", read("harness", "config.sh"), re.M)
    return match.group(1).split()


def readme_knobs():
    """The first column of the README's Knobs table."""
    section = read("README.md").split("\n## Knobs\n", 1)[1].split("\n## ", 1)[0]
    return {name for row in section.split("\n") if row.startswith("| `")
            for name in re.findall(r"`([A-Z_]+)`", row.split("|")[1])}


class Configuration(unittest.TestCase):
    def test_every_knob_is_in_the_readme(self):
        self.assertEqual(sorted(set(knobs()) - readme_knobs()), [])

    def test_the_readme_lists_no_knob_the_code_lacks(self):
        self.assertEqual(sorted(readme_knobs() - set(knobs())), [])

    def test_config_reads_only_knobs(self):
        read_there = set(re.findall(r"\$\{([A-Z_]+):-", read("harness", "config.sh")))
        self.assertEqual(sorted(read_there - set(knobs())), [])

    def test_no_other_file_reads_the_environment(self):
        env_only = [k for k in knobs() if k.startswith("SKIDGUARD_")]
        pattern = re.compile(r"\$\{?(" + "|".join(env_only) + r")\b|\$\{(KERNEL_TREE|KERNEL_REV|JOBS|"
                             r"KSELFTEST_TARGETS|HWTEST_BIN|HWTEST_PERF_SCRIPT):-")
        found = []
        for name in sorted(os.listdir(HARNESS)):
            if name == "config.sh" or name.endswith(".py") or not os.path.isfile(os.path.join(HARNESS, name)):
                continue
            for number, line in enumerate(read("harness", name).split("\n"), 1):
                if pattern.search(line):
                    found.append(f"harness/{name}:{number}: {line.strip()}")
        self.assertEqual(found, [])


def shell_files():
    """The harness's shell scripts and the files they source."""
    return sorted(n for n in os.listdir(HARNESS)
                  if n.endswith(".sh") or n in ("skidguard", "clean-root"))


# NAME=, NAME+= or NAME[key]= anywhere on a line (several on one line,
# after then, do, {, export or declare too, and make's NAME=value
# arguments: counting too many as set is safe), and read -r, mapfile -t,
# printf -v and for's targets.
ASSIGNMENT = re.compile(r"(?<![\w$\-{\[])([A-Z_][A-Z0-9_]*)(?:\[[^]]*\])?\+?=")
TARGETS = re.compile(r"\b(?:read(?: -[a-z]+)*|mapfile(?: -[a-z]+)*|printf -v|for) +([A-Z_][A-Z0-9_ ]*)")


def globals_set(text):
    """Variables a file assigns but for locals and readonly constants."""
    names = set()
    for line in text.split("\n"):
        line = line.strip()
        if line.startswith(("#", "local ", "readonly ")):
            continue
        names.update(ASSIGNMENT.findall(line))
        for targets in TARGETS.findall(line):
            names.update(n for n in targets.split() if re.fullmatch(r"[A-Z_][A-Z0-9_]*", n))
    return names


def crossings(texts):
    """"NAME set in A, read in B" for each variable that file A sets and
    file B, which does not set it itself, reads; config.sh's variables
    are the run's configuration, read by all."""
    sets = {name: globals_set(text) for name, text in texts.items()}
    configuration = sets.pop("config.sh", set())
    found = []
    for setter, names in sorted(sets.items()):
        for name in sorted(names - configuration):
            uses = re.compile(r"\$\{?[#!]?" + name + r"\b")
            for reader in sorted(sets):
                if reader != setter and name not in sets[reader] and uses.search(texts[reader]):
                    found.append(f"{name} set in harness/{setter}, read in harness/{reader}")
    return found


class State(unittest.TestCase):
    def test_no_file_reads_a_variable_another_file_sets(self):
        """Stage functions take what they need as arguments; only the run's
        configuration (config.sh) and readonly constants are shared."""
        self.assertEqual(crossings({name: read("harness", name) for name in shell_files()}), [])

    def test_a_crossing_is_found(self):
        texts = {
            "config.sh": "WORK=${SKIDGUARD_WORK:-.work}\n",
            "fetch.sh": "prepare() {\n\tif true; then BASE_TREE=$1; fi\n\tlocal OWN=1\n}\n"
                        "readonly NOTE=reused\nfor HOST in a; do :; done\n",
            "build.sh": 'build() {\n\tmake -C "$BASE_TREE" O="$WORK" ARCH=x\n\techo "$NOTE $OWN ${#HOST}"\n}\n',
        }
        self.assertEqual(crossings(texts), ["BASE_TREE set in harness/fetch.sh, read in harness/build.sh",
                                            "HOST set in harness/fetch.sh, read in harness/build.sh"])


class Layout(unittest.TestCase):
    def test_every_sourced_file_exists(self):
        """bash -n cannot see a file a script sources that is gone."""
        missing = []
        for script in ("skidguard", "clean-root"):
            for name in re.findall(r'^\. "\$HERE/([^"]+)"', read("harness", script), re.M):
                if not os.path.exists(os.path.join(HARNESS, name)):
                    missing.append(f"harness/{script} sources {name}")
        self.assertEqual(missing, [])

    def test_the_driver_maps_each_stage_to_a_defined_function(self):
        driver = read("harness", "skidguard")
        index = driver.split("Each stage, as the summary names", 1)[1].split("\n. ", 1)[0]
        code = "".join(read("harness", n) for n in os.listdir(HARNESS) if n.endswith(".sh")) + driver
        named = set(re.findall(r"\b([a-z]+_[a-z_]+)\b", index))
        self.assertEqual(sorted(n for n in named if not re.search(r"^" + n + r"\(\)", code, re.M)), [])


if __name__ == "__main__":
    unittest.main()
