#!/usr/bin/env python3
"""Summarises Bazel test results as test-case counts.

Usage: test_summary.py TESTLOGS_DIR //label ...

Reads TESTLOGS_DIR/<package>/<name>/test.xml (JUnit XML written by
GoogleTest, or by Bazel for other tests) for each label and prints one final
line: "N passed, N failed" plus ", N skipped" when any were skipped. A label
without a readable XML counts as one failed case. Exit status 1 on failures.
"""
import os
import sys
import xml.etree.ElementTree as ET


def main(argv):
    logs, labels = argv[1], argv[2:]
    passed = failed = skipped = 0
    if not labels:
        print("no test targets found")
        failed = 1
    for label in labels:
        path = label.lstrip("/").replace(":", "/")
        xml = os.path.join(logs, path, "test.xml")
        try:
            root = ET.parse(xml).getroot()
        except (OSError, ET.ParseError):
            print(f"FAILED (no result): {label}")
            failed += 1
            continue
        cases = list(root.iter("testcase"))
        if not cases:
            print(f"FAILED (no test cases ran): {label}")
            failed += 1
            continue
        for case in cases:
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
                print(f"FAILED: {label} {case.get('classname')}.{case.get('name')}")
            elif case.find("skipped") is not None or case.get("status") == "notrun":
                skipped += 1
            else:
                passed += 1
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
