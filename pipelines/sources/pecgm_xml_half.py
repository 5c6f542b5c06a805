"""The child process of the PECGM XML reader: parses a large file's second half
(`pecgm_xml.second_half_main`; started by `pecgm_xml._SecondHalf`, never by hand)."""

import sys

from pipelines.sources.pecgm_xml import second_half_main

if __name__ == "__main__":
    second_half_main(int(sys.argv[1]))
