"""The child process of the two-halves XML reader: parses a large file's second half
(`xml_halves.child_main`; started by `xml_halves.SecondHalf`, never by hand)."""

import sys

from pipelines.readers.xml_halves import child_main

if __name__ == "__main__":
    child_main(int(sys.argv[1]))
