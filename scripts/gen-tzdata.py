#!/usr/bin/env python3
"""Write koko-core's compact time-zone table from the tz data of the locked chrono-tz.

chrono-tz stores every offset change of every zone as 24 bytes of static data (its 36,106 distinct changes made
866 KB of the web `.wasm`). koko-core only needs each change's instant and the zone's total UTC offset after it, so this
script re-encodes exactly those: per zone a varint count, the offset before the first change, then for each change
the seconds since the previous one and the change of offset, zig-zag varints; zones with identical data (links) share
it. Every change is kept, including ones that change only an abbreviation, so that koko's lookups walk the same spans
as chrono-tz's and give the same answers; `core/src/pricing/time_zone/tests.rs` checks that against chrono-tz.

Usage: python3 scripts/gen-tzdata.py [--check]
  --check  exit 1 if the committed files differ from what the locked chrono-tz gives (the test command runs this).
"""

import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "core" / "src" / "pricing" / "time_zone"

SPAN = re.compile(
    r"^\s*\((-?\d+), FixedTimespan \{ utc_offset: (-?\d+), dst_offset: (-?\d+), name: [^}]*\}\),$"
)
ZONE = re.compile(r"^\s*Tz::(\w+) => \{$")
NAME = re.compile(r'^\s*Tz::(\w+) => "([^"]+)",$')
FIRST_UTC = re.compile(r"^\s*utc_offset: (-?\d+),$")
FIRST_DST = re.compile(r"^\s*dst_offset: (-?\d+),$")
VERSION = re.compile(r'IANA_TZDB_VERSION: &str = "([^"]+)"')


def chrono_tz_dir():
    """The source folder of the chrono-tz that Cargo.lock resolves to."""
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--manifest-path", str(ROOT / "Cargo.toml")],
        check=True,
        capture_output=True,
        text=True,
    )
    packages = [p for p in json.loads(meta.stdout)["packages"] if p["name"] == "chrono-tz"]
    if len(packages) != 1:
        sys.exit(f"expected one chrono-tz in the lock file, found {len(packages)}")
    return pathlib.Path(packages[0]["manifest_path"]).parent, packages[0]["version"]


def parse(source):
    """Zone names and, per enum variant, (first total offset, [(instant, total offset), ...])."""
    names = {}
    spans = {}
    section = None
    current = None
    first_utc = None
    for line in source.splitlines():
        if "fn name(self)" in line:
            section = "names"
        elif "fn timespans(&self)" in line:
            section = "spans"
        if section == "names":
            m = NAME.match(line)
            if m:
                names[m.group(1)] = m.group(2)
            elif line.startswith("}"):
                section = None
        elif section == "spans":
            m = ZONE.match(line)
            if m:
                current = m.group(1)
                spans[current] = [None, []]
                continue
            m = SPAN.match(line)
            if m and current:
                spans[current][1].append((int(m.group(1)), int(m.group(2)) + int(m.group(3))))
                continue
            m = FIRST_UTC.match(line)
            if m and current:
                first_utc = int(m.group(1))
                continue
            m = FIRST_DST.match(line)
            if m and current and first_utc is not None:
                spans[current][0] = first_utc + int(m.group(1))
                first_utc = None
    if set(names) != set(spans) or any(first is None for first, _ in spans.values()):
        sys.exit("could not read chrono-tz's table: names and spans do not match")
    return names, spans


def varint(value, out):
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


def zigzag(value, out):
    varint((value << 1) ^ (value >> 63), out)


def encode(first, rest):
    if any(later <= earlier for (earlier, _), (later, _) in zip(rest, rest[1:])):
        sys.exit("chrono-tz's changes are not in strictly increasing order: the lookups assume they are")
    out = bytearray()
    varint(len(rest), out)
    zigzag(first, out)
    previous_at, previous_offset = 0, first
    for at, offset in rest:
        zigzag(at - previous_at, out)
        zigzag(offset - previous_offset, out)
        previous_at, previous_offset = at, offset
    return bytes(out)


def generate():
    folder, version = chrono_tz_dir()
    prebuilt = folder / "src" / "prebuilt" / "timezones.rs"
    names, spans = parse(prebuilt.read_text())
    tzdb = VERSION.search((folder / "src" / "prebuilt" / "directory.rs").read_text())
    if not tzdb:
        sys.exit("could not read chrono-tz's tz database version")
    tzdb = tzdb.group(1)
    blob = bytearray()
    at_offset = {}
    zones = []
    for variant, name in sorted(names.items(), key=lambda item: item[1].encode()):
        data = encode(*spans[variant])
        if data not in at_offset:
            at_offset[data] = len(blob)
            blob += data
        zones.append((name, at_offset[data]))
    changes = sum(len(rest) for _, rest in spans.values())
    lines = [
        f"// @generated by scripts/gen-tzdata.py from chrono-tz {version} (tz database {tzdb}): do not edit.",
        f"// {len(zones)} zone names, {changes} offset changes, {len(at_offset)} distinct zones, {len(blob)} bytes.",
        "",
        "/// The tz database release the table holds.",
        f'pub(super) const TZDB_VERSION: &str = "{tzdb}";',
        "",
        "/// How many zone names there are.",
        f"pub(super) const ZONE_COUNT: usize = {len(zones)};",
        "",
        "/// Every zone name, sorted by bytes, with where its changes start in [`CHANGES`].",
        "pub(super) static ZONES: [(&str, u32); ZONE_COUNT] = [",
    ]
    lines += [f'    ("{name}", {offset}),' for name, offset in zones]
    lines += [
        "];",
        "",
        "/// Each zone's offset changes, encoded as `scripts/gen-tzdata.py` describes.",
        'pub(super) static CHANGES: &[u8] = include_bytes!("changes.bin");',
        "",
    ]
    return "\n".join(lines), bytes(blob), tzdb


def main():
    check = "--check" in sys.argv[1:]
    table, blob, tzdb = generate()
    files = {OUT / "table.rs": table.encode(), OUT / "changes.bin": blob}
    if check:
        stale = [str(p.relative_to(ROOT)) for p, data in files.items() if not p.exists() or p.read_bytes() != data]
        if stale:
            sys.exit(f"out of date with the locked chrono-tz: {', '.join(stale)} (run python3 scripts/gen-tzdata.py)")
        print(f"time zones: the compact table matches the locked chrono-tz (tz database {tzdb})")
        return
    OUT.mkdir(parents=True, exist_ok=True)
    for path, data in files.items():
        path.write_bytes(data)
    print(table.splitlines()[1].lstrip("/ "))


if __name__ == "__main__":
    main()
