#!/usr/bin/env python3
"""Prints the test methods that failed in the TRX files of a directory, one per line: test assembly, a tab, then the
method's full name (namespace.class.method; every case of a failed theory reruns with it)."""
import glob
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
failed = set()
for path in sorted(glob.glob(f"{sys.argv[1]}/**/*.trx", recursive=True)):
    root = ET.parse(path).getroot()
    methods = {}
    for test in root.iter(f"{NS}UnitTest"):
        method = test.find(f"{NS}TestMethod")
        if method is not None:
            methods[test.get("id")] = (method.get("codeBase"), f"{method.get('className')}.{method.get('name')}")
    for result in root.iter(f"{NS}UnitTestResult"):
        if result.get("outcome") == "Failed" and result.get("testId") in methods:
            failed.add(methods[result.get("testId")])
for assembly, name in sorted(failed):
    print(f"{assembly}\t{name}")
