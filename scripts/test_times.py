"""Where the test suite's time goes, by file: sums the JUnit report that
``scripts/test.sh`` writes (``.build/test-artifacts/pytest.xml``, and
``pytest_pure.xml`` of the pure-Python tests run beside it).

    python3 scripts/test_times.py [path/to/pytest.xml ...]
"""

import collections
import pathlib
import sys
import xml.etree.ElementTree as ET

DEFAULT = pathlib.Path(__file__).resolve().parent.parent / ".build/test-artifacts/pytest.xml"


def main(paths):
    seconds = collections.Counter()
    counts = collections.Counter()
    cases = [case for path in paths for case in ET.parse(path).iter("testcase")]
    for case in cases:
        # "pkg.tests.test_x.TestClass" or "pkg.tests.pure.test_x": the test file.
        parts = (case.get("classname") or "?").split(".")
        module = next((part for part in reversed(parts) if part.startswith("test_")), parts[-1])
        seconds[module] += float(case.get("time") or 0)
        counts[module] += 1
    total = sum(seconds.values())
    print(f"{'file':<32} {'tests':>5} {'seconds':>8}")
    for module, spent in seconds.most_common():
        print(f"{module:<32} {counts[module]:>5} {spent:>8.1f}")
    print(f"{'all':<32} {sum(counts.values()):>5} {total:>8.1f}")


if __name__ == "__main__":
    pure = DEFAULT.with_name("pytest_pure.xml")
    main(sys.argv[1:] or [DEFAULT, *([pure] if pure.exists() else [])])
