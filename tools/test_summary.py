#!/usr/bin/env python3
"""Summarises Bazel test results as test-case counts.

Usage: test_summary.py [--bazel-log FILE] [--bazel-rc N] [--case NAME=pass|fail]...
                       [--prefix TEXT] [--counts-out FILE] [--add-counts FILE]...
                       [TESTLOGS_DIR //label ...]

Reads TESTLOGS_DIR/<package>/<name>/test.xml (JUnit XML written by
GoogleTest, or by Bazel for other tests) for each label and prints one final
line: "N passed, N failed" plus ", N skipped" when any were skipped. A label
without a readable XML counts as one failed case, and so does a label that
the Bazel log (the output of `bazel test`) reports as anything but PASSED
(FAILED TO BUILD, NO STATUS, TIMEOUT...), so that a stale XML from an
earlier run is never counted. --case adds a case run outside Bazel (the
demo). Run as root (CI), a skipped test case counts
as a failure: there, every real peer is installed. Exit status 1 on
failures.

Several runs (the suite, then subsets under sanitizers) add up:
--counts-out writes this run's counts to FILE instead of printing the final
line, --add-counts adds a FILE written so, and --prefix marks this run's
FAILED lines (e.g. "asan").
"""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET


def bazel_statuses(path):
    """Maps label -> status word from the summary lines of `bazel test`."""
    statuses = {}
    pattern = re.compile(r"^(//\S+)\s+(?:\(cached\)\s+)?([A-Z][A-Z ]*[A-Z])\b")
    with open(path, errors="replace") as f:
        for line in f:
            m = pattern.match(line.strip())
            if m:
                statuses[m.group(1)] = m.group(2)
    return statuses


def main(argv):
    args = argv[1:]
    statuses = None
    bazel_rc = 0
    extra = []
    prefix = ""
    counts_out = None
    added = [0, 0, 0]
    while args and args[0].startswith("--"):
        if args[0] == "--prefix":
            prefix = args[1] + ": "
        elif args[0] == "--counts-out":
            counts_out = args[1]
        elif args[0] == "--add-counts":
            with open(args[1]) as f:
                for i, n in enumerate(f.read().split()[:3]):
                    added[i] += int(n)
        elif args[0] == "--bazel-log":
            statuses = bazel_statuses(args[1])
        elif args[0] == "--bazel-rc":
            bazel_rc = int(args[1])
        elif args[0] == "--case":
            name, _, result = args[1].partition("=")
            extra.append((name, result))
        args = args[2:]
    logs, labels = (args[0], args[1:]) if args else (None, [])
    as_root = os.geteuid() == 0
    passed = failed = skipped = 0
    if logs is not None and not labels:
        print(f"{prefix}no test targets found")
        failed = 1
    for label in labels:
        path = label.lstrip("/").replace(":", "/")
        if statuses is not None and statuses.get(label, "NO STATUS") != "PASSED":
            print(f"{prefix}FAILED ({statuses.get(label, 'NO STATUS')}): {label}")
            failed += 1
            continue
        # Sharded tests leave one XML per shard.
        xmls = [os.path.join(logs, path, "test.xml")]
        if not os.path.exists(xmls[0]):
            xmls = sorted(glob.glob(os.path.join(logs, path, "shard_*", "test.xml")))
        try:
            roots = [ET.parse(x).getroot() for x in xmls]
            if not roots:
                raise OSError("no XML")
        except (OSError, ET.ParseError):
            print(f"{prefix}FAILED (no result): {label}")
            failed += 1
            continue
        cases = [c for root in roots for c in root.iter("testcase")]
        if not cases:
            print(f"{prefix}FAILED (no test cases ran): {label}")
            failed += 1
            continue
        for case in cases:
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
                print(f"{prefix}FAILED: {label} {case.get('classname')}.{case.get('name')}")
            elif case.find("skipped") is not None or case.get("status") == "notrun":
                if as_root:
                    # As root (CI, after tools/setup) every peer a test needs
                    # is installed: a skip hides a broken setup.
                    failed += 1
                    print(f"{prefix}FAILED (skipped as root): {label} "
                          f"{case.get('classname')}.{case.get('name')}")
                else:
                    skipped += 1
            else:
                passed += 1
    for name, result in extra:
        if result == "pass":
            passed += 1
        else:
            failed += 1
            print(f"{prefix}FAILED: {name}")
    if bazel_rc != 0 and failed == 0:
        # Build or loading errors outside any test target still fail the run.
        print(f"{prefix}FAILED: bazel test exited with status {bazel_rc}")
        failed += 1
    if counts_out is not None:
        with open(counts_out, "w") as f:
            f.write(f"{passed} {failed} {skipped}\n")
        return 1 if failed else 0
    passed += added[0]
    failed += added[1]
    skipped += added[2]
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
